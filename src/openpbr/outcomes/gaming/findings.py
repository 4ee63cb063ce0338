"""The shape every detector returns."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pyarrow as pa

FINDING_SCHEMA = pa.schema([
    ("detector", pa.string()), ("unit_type", pa.string()), ("unit", pa.string()), ("flagged", pa.bool_()),
    ("z", pa.float64()), ("reason", pa.string()), ("numbers", pa.string()), ("thresholds", pa.string()),
])


@dataclass
class Finding:
    detector: str
    unit_type: str
    unit: str
    flagged: bool
    z: float
    reason: str
    numbers: dict = field(default_factory=dict)
    thresholds: str = ""


def to_table(findings: list[Finding]) -> pa.Table:
    return pa.table({
        "detector": [f.detector for f in findings], "unit_type": [f.unit_type for f in findings],
        "unit": [f.unit for f in findings], "flagged": [bool(f.flagged) for f in findings],
        "z": [None if f.z != f.z else float(f.z) for f in findings], "reason": [f.reason for f in findings],
        "numbers": [json.dumps(f.numbers, sort_keys=True, default=float) for f in findings],
        "thresholds": [f.thresholds for f in findings],
    }, schema=FINDING_SCHEMA)


def money(x: float) -> str:
    return f"£{x:,.0f}"


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"
