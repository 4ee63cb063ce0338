"""The MHCT form's reading and checking: ratings from a form, the suggestion shown before anything is saved."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpbr.clustering.ratings import ITEM_CODES, PROBLEM_TYPES
from openpbr.reference import builtin_dataset

RATINGS = ("0", "1", "2", "3", "4", "9")
REASONS = (("initial", "First assessment"), ("review", "Review"), ("transition", "Transition"),
           ("discharge", "Discharge"))


def item_labels() -> list[dict[str, Any]]:
    """The 18 items with their short labels only (the item wording is copyright and never shown)."""
    ds = builtin_dataset("mhct_items")
    return [{"code": c, "number": ds.resolve(c, date(2011, 4, 1)).value["number"],
             "label": ds.resolve(c, date(2011, 4, 1)).value["short_label"],
             "section": ds.resolve(c, date(2011, 4, 1)).value["section"]} for c in ITEM_CODES]


def problem_types() -> list[tuple[str, str]]:
    ds = builtin_dataset("item8_problem_types")
    return [(k, ds.resolve(k, date(2011, 4, 1)).value) for k in sorted(PROBLEM_TYPES)]


@dataclass
class AssessmentForm:
    assessed_on: date | None
    reason: str
    ratings: dict[str, str]
    item_08_type: str
    errors: list[dict[str, str]]
    field_errors: dict[str, str]

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(int(self.ratings[c]) for c in ITEM_CODES)

    def query(self) -> dict[str, str]:
        q = {"on": self.assessed_on.isoformat() if self.assessed_on else "", "reason": self.reason,
             "ratings": "".join(self.ratings[c] for c in ITEM_CODES)}
        if self.item_08_type:
            q["item8"] = self.item_08_type
        return q


def read_form(data: Mapping[str, Any], as_of: date) -> AssessmentForm:
    """Read and check the form; every problem becomes a message linked to its field."""
    errors: list[dict[str, str]] = []
    fields: dict[str, str] = {}

    def bad(field: str, anchor: str, message: str) -> None:
        fields[field] = message
        errors.append({"text": message, "href": f"#{anchor}"})

    raw_on = str(data.get("assessed_on") or "").strip()
    on = None
    try:
        on = date.fromisoformat(raw_on) if raw_on else None
    except ValueError:
        pass
    if on is None:
        bad("assessed_on", "assessed_on", "Enter the date of the assessment, for example 2024-03-31")
    elif on > as_of:
        bad("assessed_on", "assessed_on", "The date of the assessment must be today or in the past")
        on = None
    reason = str(data.get("reason") or "")
    if reason not in dict(REASONS):
        bad("reason", "reason", "Select why this assessment was done")
    labels = {i["code"]: i for i in item_labels()}
    ratings: dict[str, str] = {}
    for code in ITEM_CODES:
        value = str(data.get(code) or "")
        if value not in RATINGS:
            bad(code, code, f"Select a rating for {labels[code]['number']} {labels[code]['label']} (9 if not known)")
        ratings[code] = value
    t = str(data.get("item_08_type") or "").strip().upper()
    if t and t not in PROBLEM_TYPES:
        bad("item_08_type", "item_08_type", "Select the problem type for item 8")
    elif not t and ratings.get("item_08") in ("1", "2", "3", "4"):
        bad("item_08_type", "item_08_type", "Select the problem type for item 8 (its rating is above 0)")
    return AssessmentForm(on, reason, ratings, t, errors, fields)


def from_query(q: Mapping[str, str], as_of: date) -> AssessmentForm:
    text = q.get("ratings", "")
    data: dict[str, str] = {"assessed_on": q.get("on", ""), "reason": q.get("reason", ""),
                            "item_08_type": q.get("item8", "")}
    if len(text) == len(ITEM_CODES):
        data.update(zip(ITEM_CODES, text))
    return read_form(data, as_of)
