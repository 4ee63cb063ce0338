"""Typed MHCT values, validated when they are built.

An :class:`Assessment` holds the 18 ratings in a fixed order (ITEM_CODES).
9 means "not known": it is missing data and is never compared as a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Mapping

from openpbr.clustering.codes import PRECEDENCE, ResultCode

ITEM_CODES: tuple[str, ...] = (
    *(f"item_{n:02d}" for n in range(1, 14)),
    "hist_a",
    "hist_b",
    "hist_c",
    "hist_d",
    "hist_e",
)
HONOS_ITEMS: tuple[str, ...] = ITEM_CODES[:12]
N_ITEMS = len(ITEM_CODES)
ITEM_INDEX = {code: i for i, code in enumerate(ITEM_CODES)}

NOT_KNOWN = 9
KNOWN_RATINGS: tuple[int, ...] = (0, 1, 2, 3, 4)
VALID_RATINGS: frozenset[int] = frozenset((*KNOWN_RATINGS, NOT_KNOWN))
PROBLEM_TYPES: frozenset[str] = frozenset("ABCDEFGHIJ")
CLUSTER_CODES: tuple[str, ...] = tuple(f"{n:02d}" for n in range(0, 22))
ALLOCATABLE_CLUSTERS: tuple[str, ...] = tuple(c for c in CLUSTER_CODES if c != "09")
SCORED_CLUSTERS: tuple[str, ...] = tuple(c for c in ALLOCATABLE_CLUSTERS if c != "00")
MAX_ID_LENGTH = 64  # pseudonymous ids are short; a longer one is a mis-pasted cell, not an id
CONTROL_CHARACTERS = frozenset(chr(c) for c in (*range(0x20), 0x7F))


def ascii_digits(text: str) -> bool:
    """Digits 0-9 only: ``str.isdigit`` also accepts Arabic-Indic and superscript digits."""
    return text.isascii() and text.isdigit()


def shown(text: str, limit: int = 24) -> str:
    """A value as quoted in a message: repr (so control characters show), clipped when long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text):,} characters)"


@dataclass(frozen=True)
class FieldError:
    """One problem with one field of one input row."""

    code: ResultCode
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class AssessmentError(ValueError):
    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors))

    @property
    def code(self) -> ResultCode:
        return first_code(self.errors)


def first_code(errors: list[FieldError]) -> ResultCode:
    codes = {e.code for e in errors}
    for c in PRECEDENCE:
        if c in codes:
            return c
    return errors[0].code


def cluster_code(value: object) -> str:
    """Normalise a cluster code to two digits ("4" -> "04"); reject anything else."""
    text = str(value).strip()
    if ascii_digits(text) and len(text) <= 2 and f"{int(text):02d}" in CLUSTER_CODES:
        return f"{int(text):02d}"
    raise ValueError(f"{shown(text)} is not a cluster code 00-21")


@dataclass(frozen=True)
class Context:
    """Optional information that improves a suggestion."""

    assessed_on: date | None = None
    psychosis_history: bool | None = None
    age: int | None = None
    previous_cluster: str | None = None


@dataclass(frozen=True)
class Assessment:
    """One MHCT rating set: 18 ratings plus the item 8 problem type."""

    ratings: tuple[int, ...]
    item_08_type: str | None = None
    assessment_id: str = ""
    context: Context = field(default_factory=Context)

    def __post_init__(self) -> None:
        errors = []
        if len(self.ratings) != N_ITEMS:
            raise AssessmentError([FieldError(ResultCode.MISSING_RATING, "ratings", f"expected {N_ITEMS} ratings, got {len(self.ratings)}")])
        for code, r in zip(ITEM_CODES, self.ratings):
            if r not in VALID_RATINGS:
                errors.append(FieldError(ResultCode.INVALID_RATING, code, f"{r!r} is not a rating (0-4, or 9 for not known)"))
        if self.item_08_type is not None and self.item_08_type not in PROBLEM_TYPES:
            errors.append(FieldError(ResultCode.INVALID_PROBLEM_TYPE, "item_08_type", f"{self.item_08_type!r} is not a problem type A-J"))
        if errors:
            raise AssessmentError(errors)

    def rating(self, item: str) -> int:
        return self.ratings[ITEM_INDEX[item]]

    @property
    def not_known(self) -> tuple[str, ...]:
        return tuple(c for c, r in zip(ITEM_CODES, self.ratings) if r == NOT_KNOWN)

    @classmethod
    def from_mapping(cls, row: Mapping[str, object], *, assessment_id: str | None = None) -> "Assessment":
        """Build from a dict of column name -> text (a CSV row), collecting every field error."""
        errors: list[FieldError] = []
        aid = str(row.get("assessment_id", "") or "").strip() if assessment_id is None else assessment_id
        ratings: list[int] = []
        for code in ITEM_CODES:
            raw = row.get(code)
            text = "" if raw is None else str(raw).strip()
            if text == "":
                errors.append(FieldError(ResultCode.MISSING_RATING, code, "blank (use 9 for not known)"))
                ratings.append(NOT_KNOWN)
                continue
            value = int(text) if ascii_digits(text) and len(text) < 4 else -1
            if value not in VALID_RATINGS:
                errors.append(FieldError(ResultCode.INVALID_RATING, code, f"{shown(text)} is not a rating (0-4, or 9 for not known)"))
                value = NOT_KNOWN
            ratings.append(value)
        t = str(row.get("item_08_type", "") or "").strip().upper() or None
        if t is not None and t not in PROBLEM_TYPES:
            errors.append(FieldError(ResultCode.INVALID_PROBLEM_TYPE, "item_08_type", f"{shown(t)} is not a problem type A-J"))
            t = None
        context, ctx_errors = parse_context(row)
        errors.extend(ctx_errors)
        if not aid:
            errors.append(FieldError(ResultCode.MISSING_ASSESSMENT_ID, "assessment_id", "blank"))
        elif len(aid) > MAX_ID_LENGTH:
            errors.append(FieldError(ResultCode.INVALID_ASSESSMENT_ID, "assessment_id", f"{len(aid):,} characters; at most {MAX_ID_LENGTH}"))
        elif not CONTROL_CHARACTERS.isdisjoint(aid):
            errors.append(FieldError(ResultCode.INVALID_ASSESSMENT_ID, "assessment_id", "contains a NUL or other control character"))
        if errors:
            raise AssessmentError(errors)
        return cls(ratings=tuple(ratings), item_08_type=t, assessment_id=aid, context=context)


def parse_context(row: Mapping[str, object]) -> tuple[Context, list[FieldError]]:
    errors: list[FieldError] = []

    def text(name: str) -> str:
        v = row.get(name)
        return "" if v is None else str(v).strip()

    assessed_on = None
    if t := text("assessed_on"):
        try:
            if not t.isascii():
                raise ValueError(t)
            assessed_on = date.fromisoformat(t)
        except ValueError:
            errors.append(FieldError(ResultCode.INVALID_CONTEXT, "assessed_on", f"{shown(t)} is not an ISO date (YYYY-MM-DD)"))
    psychosis = None
    if t := text("psychosis_history"):
        if t.upper() in ("Y", "N"):
            psychosis = t.upper() == "Y"
        else:
            errors.append(FieldError(ResultCode.INVALID_CONTEXT, "psychosis_history", f"{shown(t)} is not Y or N"))
    age = None
    if t := text("age"):
        if ascii_digits(t) and len(t) <= 3 and int(t) <= 125:
            age = int(t)
        else:
            errors.append(FieldError(ResultCode.INVALID_CONTEXT, "age", f"{shown(t)} is not an age in whole years (0-125)"))
    previous = None
    if t := text("previous_cluster"):
        try:
            previous = cluster_code(t)
        except ValueError:
            errors.append(FieldError(ResultCode.INVALID_CONTEXT, "previous_cluster", f"{shown(t)} is not a cluster code 00-21"))
    return Context(assessed_on=assessed_on, psychosis_history=psychosis, age=age, previous_cluster=previous), errors
