"""Governed indicator definitions (data/reference/outcomes_indicators.yaml).

A definition names a population and two boolean expressions over that
population's columns. Expressions allow names, ``&``, ``|``, ``~`` and
parentheses only; ``all`` means every row. Nothing else is evaluated.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date

import numpy as np

from openpbr.reference import Dataset, builtin_dataset, load_dataset

KINDS = ("proportion", "count")
POPULATIONS = ("caseload", "allocations", "closed_episodes")
GOVERNANCE = ("owner", "checker", "date_reviewed", "next_review")


@dataclass(frozen=True)
class IndicatorDefinition:
    id: str
    title: str
    kind: str
    population: str
    numerator: str
    denominator: str
    low_is_good: bool | None
    owner: str
    checker: str
    date_reviewed: date
    next_review: date
    source: str
    evidence: str
    provisional: bool
    ref: str  # dataset ref + ':' + id

    def names(self) -> set[str]:
        return _names(self.numerator) | _names(self.denominator)


def _names(expr: str) -> set[str]:
    return {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}


def evaluate(expr: str, columns: dict[str, np.ndarray], n: int) -> np.ndarray:
    """Evaluate a definition expression to a boolean mask of length n."""
    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Name):
            if node.id == "all":
                return np.ones(n, bool)
            if node.id not in columns:
                raise KeyError(f"unknown column {node.id!r} in {expr!r}; known: {sorted(columns)}")
            return columns[node.id].astype(bool)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitAnd):
            return ev(node.left) & ev(node.right)
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return ev(node.left) | ev(node.right)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Invert):
            return ~ev(node.operand)
        raise ValueError(f"not allowed in an indicator expression: {ast.dump(node)} in {expr!r}")

    return ev(ast.parse(expr, mode="eval"))


def load_definitions(on: date | None = None, dataset: Dataset | str | None = None) -> list[IndicatorDefinition]:
    """Definitions in force on ``on``, validated (kind, population, governance fields, expression syntax)."""
    ds = dataset if isinstance(dataset, Dataset) else (load_dataset(dataset) if dataset else builtin_dataset("outcomes_indicators"))
    out = []
    for e in ds.in_force(on or date.today()):
        v = e.value
        missing = [k for k in ("title", "kind", "population", "numerator", "denominator", *GOVERNANCE) if k not in v]
        if missing:
            raise ValueError(f"{ds.dataset}: indicator {e.key!r} lacks {missing}")
        if v["kind"] not in KINDS or v["population"] not in POPULATIONS:
            raise ValueError(f"{ds.dataset}: indicator {e.key!r}: kind must be {KINDS}, population one of {POPULATIONS}")
        d = IndicatorDefinition(
            id=e.key, title=v["title"], kind=v["kind"], population=v["population"],
            numerator=v["numerator"], denominator=v["denominator"], low_is_good=v.get("low_is_good"),
            owner=v["owner"], checker=v["checker"], date_reviewed=v["date_reviewed"], next_review=v["next_review"],
            source=e.provenance.source, evidence=e.provenance.evidence.value, provisional=e.provenance.provisional,
            ref=f"{ds.ref}:{e.key}",
        )
        d.names()  # syntax check now, not at compute time
        out.append(d)
    return out
