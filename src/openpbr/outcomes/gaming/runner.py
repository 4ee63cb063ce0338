"""Run every detector for providers and teams and gather the findings."""

from __future__ import annotations

from datetime import date

import pyarrow as pa

from openpbr.outcomes.config import Settings, cluster_prices, gaming_thresholds, outcome_rules
from openpbr.outcomes.gaming.context import Context, build_context
from openpbr.outcomes.gaming.findings import FINDING_SCHEMA, Finding, to_table
from openpbr.outcomes.gaming.plausibility import implausible_improvement
from openpbr.outcomes.gaming.selection import early_discharge, parking, turned_away
from openpbr.outcomes.gaming.upcoding import poor_fit_in_pricey, upcoding_drift
from openpbr.outcomes.inputs import OutcomeInputs

__all__ = ["FINDING_SCHEMA", "detect_gaming", "run_detectors"]


def run_detectors(ctx: Context, thresholds: Settings, prices: Settings, unit_types=("provider", "team")) -> list[Finding]:
    out: list[Finding] = []
    for ut in unit_types:
        out += upcoding_drift(ctx, ut, thresholds)
        out += poor_fit_in_pricey(ctx, ut, thresholds, prices)
        out += early_discharge(ctx, ut, thresholds)
        out += parking(ctx, ut, thresholds)
        out += turned_away(ctx, ut, thresholds)
        out += implausible_improvement(ctx, ut, thresholds)
    return out


def detect_gaming(
    inputs: OutcomeInputs, start: date, end: date, thresholds: Settings | None = None, prices: Settings | None = None,
    rules: Settings | None = None, unit_types=("provider", "team"),
) -> pa.Table:
    """Findings table: detector, unit_type, unit, flagged, z, reason, numbers (JSON), thresholds (dataset ref)."""
    thresholds = thresholds or gaming_thresholds(end)
    prices = prices or cluster_prices(end)
    rules = rules or outcome_rules(end)
    ctx = build_context(inputs, start, end, rules, prices, thresholds)
    return to_table(run_detectors(ctx, thresholds, prices, unit_types))
