"""Clustering use cases: suggest for one assessment, decide, cluster a file, reference data.

Every face (``openpbr cluster``/``explain``/``confirm``/``reference``, the demo,
the API) calls these. Results are Pydantic models, so an API returns them as
they are. Clustering reads no database: an assessment's ratings are its own
input, so no scope filter applies here; the API checks the caller may
assess before calling.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from openpbr.clustering.codes import DESCRIPTIONS, ResultCode
from openpbr.clustering.profiles import ProfileSet
from openpbr.clustering.ratings import ITEM_CODES, NOT_KNOWN, Assessment, AssessmentError
from openpbr.errors import InputError, NotFound


class RedRuleOut(BaseModel):
    cluster: str
    rule: str
    reason: str


class CandidateOut(BaseModel):
    rank: int
    cluster: str
    name: str
    super_class: str | None
    fit: float
    red_rules: list[RedRuleOut]


class ItemLine(BaseModel):
    """One rating read against the profile of the top candidate."""

    item: str
    label: str
    rating: int | None  # None: 9, not known
    band: str  # expected, possible, unexpected, RED: outside ..., not known


class FieldProblem(BaseModel):
    code: str
    field: str
    message: str


class Suggestion(BaseModel):
    assessment_id: str
    result_code: str
    message: str
    cluster: str | None = None
    super_class: str | None = None
    fit: float | None = None
    review_due: date | None = None
    candidates: list[CandidateOut] = []
    items: list[ItemLine] = []
    problems: list[FieldProblem] = []  # why an assessment could not be read
    profile_set: str
    provisional: bool
    trace: dict[str, Any] = {}


class DecisionOut(BaseModel):
    assessment_id: str
    decision: str  # CONFIRMED, OVERRIDDEN, or the refusal code
    accepted: bool
    suggested: str | None
    chosen: str | None
    chosen_by: str
    override_reason: str | None
    red_rules_broken: list[RedRuleOut]
    decided_on: date | None
    message: str
    trace: dict[str, Any] = {}


class CodeCount(BaseModel):
    code: str
    rows: int
    meaning: str


class ClusterCount(BaseModel):
    cluster: str
    name: str
    rows: int


class ClusterFileResult(BaseModel):
    output: str
    rows: int
    bad_rows: int
    red_rule_rows: int
    codes: list[CodeCount]
    clusters: list[ClusterCount]
    warnings: list[str]
    profile_set: str
    provisional: bool


class DatasetSummary(BaseModel):
    name: str
    dataset: str
    version: str
    ref: str
    entries: int


class EntryOut(BaseModel):
    key: str
    valid_from: date
    valid_to: date | None
    value: Any
    source: str


class DatasetDetail(DatasetSummary):
    on: date | None
    items: list[EntryOut]


# ---------------------------------------------------------------- profiles


def profile_set(path: str | Path | None = None) -> ProfileSet:
    """The profile set at ``path`` (default: the shipped provisional set), or one line saying why not."""
    from openpbr.clustering.profiles import load_profiles

    if path is not None and not Path(path).is_file():
        raise InputError(f"{path}: no such profile set file", code="UNREADABLE_FILE")
    try:
        return load_profiles(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})", code="UNREADABLE_FILE") from None
    except Exception as exc:  # YAML or schema errors: name the file and the first problem only
        first = " ".join(str(exc).split())[:300]
        raise InputError(f"{path}: not a valid profile set ({first})", code="BAD_PROFILE_SET") from None


# ---------------------------------------------------------------- one assessment


def _red(rules) -> list[RedRuleOut]:
    return [RedRuleOut(cluster=r.cluster, rule=r.rule, reason=r.reason) for r in rules]


def suggest_assessment(row: Mapping[str, object], profiles: ProfileSet | None = None) -> Suggestion:
    """Candidates, fits, red rules and an item-by-item reading for one assessment (CSV-like text values).

    An assessment that cannot be read is not an exception: it is a suggestion
    with its result code and the problem per field, as the batch gives it.
    """
    from openpbr.clustering.explain import band_of
    from openpbr.clustering.suggest import suggest
    from openpbr.reference import builtin_dataset

    profiles = profiles or profile_set()
    try:
        assessment = Assessment.from_mapping(row)
    except AssessmentError as err:
        return Suggestion(
            assessment_id=str(row.get("assessment_id") or "").strip()[:64],
            result_code=err.code.value,
            message=str(err),
            problems=[FieldProblem(code=e.code.value, field=e.field, message=e.message) for e in err.errors],
            profile_set=profiles.ref,
            provisional=profiles.provisional,
        )
    allocation = suggest(assessment, profiles)
    items: list[ItemLine] = []
    if allocation.candidates:
        labels = builtin_dataset("mhct_items")
        focus = allocation.candidates[0].cluster
        for code, r in zip(ITEM_CODES, assessment.ratings):
            label = labels.resolve(code, profiles.spec.valid_from).value["short_label"]
            items.append(ItemLine(item=code, label=label, rating=None if r == NOT_KNOWN else r, band=band_of(profiles, focus, code, r)))
    return Suggestion(
        assessment_id=assessment.assessment_id,
        result_code=allocation.result_code.value,
        message=allocation.message,
        cluster=allocation.cluster,
        super_class=allocation.super_class,
        fit=allocation.fit,
        review_due=allocation.review_due,
        candidates=[
            CandidateOut(rank=n, cluster=c.cluster, name=c.name, super_class=c.super_class, fit=c.fit, red_rules=_red(c.red_rules))
            for n, c in enumerate(allocation.candidates, start=1)
        ],
        items=items,
        profile_set=allocation.profile_ref,
        provisional=allocation.provisional,
        trace=allocation.trace,
    )


def decide_assessment(
    row: Mapping[str, object],
    chosen_cluster: str,
    chosen_by: str,
    override_reason: str | None = None,
    decided_on: date | None = None,
    profiles: ProfileSet | None = None,
) -> DecisionOut:
    """Confirm the suggestion, or override it with a reason; a refusal is a decision with its code, not an exception."""
    from openpbr.clustering.decision import DecisionCode, DecisionError, decide
    from openpbr.clustering.suggest import suggest

    profiles = profiles or profile_set()
    base = dict(chosen_by=(chosen_by or "").strip(), override_reason=(override_reason or "").strip() or None, decided_on=decided_on)
    try:
        assessment = Assessment.from_mapping(row)
    except AssessmentError as err:
        aid = str(row.get("assessment_id") or "").strip()[:64]
        return DecisionOut(assessment_id=aid, decision=err.code.value, accepted=False, suggested=None, chosen=None,
                           red_rules_broken=[], message=f"assessment: {err}", **base)  # fmt: skip
    allocation = suggest(assessment, profiles)
    try:
        dec = decide(assessment, allocation, chosen_cluster, chosen_by, override_reason, decided_on, profiles)
    except DecisionError as err:
        return DecisionOut(assessment_id=assessment.assessment_id, decision=err.code.value, accepted=False,
                           suggested=allocation.cluster, chosen=(chosen_cluster or "").strip() or None,
                           red_rules_broken=[], message=str(err), **base)  # fmt: skip
    message = "" if dec.code is DecisionCode.CONFIRMED else "; ".join(r.reason for r in dec.red_rules_broken)
    return DecisionOut(
        assessment_id=dec.assessment_id, decision=dec.code.value, accepted=True, suggested=dec.suggested, chosen=dec.chosen,
        chosen_by=dec.chosen_by, override_reason=dec.override_reason, red_rules_broken=_red(dec.red_rules_broken),
        decided_on=dec.decided_on, message=message, trace=dec.trace,
    )  # fmt: skip


def assessment_from_file(path: str | Path, assessment_id: str | None) -> dict:
    """One row of an assessments CSV as text values: the first, or the one with ``assessment_id``."""
    from openpbr.clustering.explain import row_from_file

    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such file", code="UNREADABLE_FILE")
    row = row_from_file(p, assessment_id)
    if row is None:
        raise NotFound(f"no row with that assessment_id in {p}" if assessment_id else f"{p}: no assessment rows")
    return row


# ---------------------------------------------------------------- files


def cluster_csv(
    in_path: str | Path,
    out_path: str | Path,
    profiles: ProfileSet | None = None,
    *,
    names_on: date,
    progress: Callable[[int, int], None] | None = None,
) -> ClusterFileResult:
    """Cluster every row of a CSV into an allocations CSV (one row per input row); ``names_on`` dates cluster names."""
    from openpbr.clustering.batch import cluster_file
    from openpbr.reference import builtin_dataset

    profiles = profiles or profile_set()
    s = cluster_file(in_path, out_path, profiles, progress=progress)
    names = builtin_dataset("clusters")

    def name(code: str) -> str:
        try:
            return names.resolve(code, names_on).value["name"]
        except LookupError:
            return ""

    return ClusterFileResult(
        output=str(out_path),
        rows=s.rows,
        bad_rows=s.bad_rows,
        red_rule_rows=s.red_rule_rows,
        codes=[CodeCount(code=c, rows=n, meaning=DESCRIPTIONS[ResultCode(c)]) for c, n in sorted(s.codes.items(), key=lambda kv: (-kv[1], kv[0]))],
        clusters=[ClusterCount(cluster=c, name=name(c), rows=n) for c, n in sorted(s.clusters.items())],
        warnings=list(s.warnings),
        profile_set=profiles.ref,
        provisional=profiles.provisional,
    )


def confirm_csv(assessments: str | Path, decisions: str | Path, out_path: str | Path, profiles: ProfileSet | None = None) -> dict[str, int]:
    """Check a file of clinicians' decisions against the suggestions; counts per decision code."""
    from openpbr.clustering.confirm import confirm_file

    for p in (Path(assessments), Path(decisions)):
        if not p.is_file():
            raise InputError(f"{p}: no such file", code="UNREADABLE_FILE")
    return dict(confirm_file(Path(assessments), Path(decisions), Path(out_path), profiles or profile_set()))


# ---------------------------------------------------------------- reference data


def reference_names() -> list[str]:
    from openpbr.reference import builtin_path

    return sorted(p.stem for p in builtin_path("reference").glob("*.yaml"))


def list_reference_datasets() -> list[DatasetSummary]:
    from openpbr.reference import builtin_dataset

    out = []
    for name in reference_names():
        ds = builtin_dataset(name)
        out.append(DatasetSummary(name=name, dataset=ds.dataset, version=ds.version, ref=ds.ref, entries=len(ds.entries)))
    return out


def reference_dataset(name: str, on: date | None = None) -> DatasetDetail:
    """One dataset's entries: all of its history, or those in force ``on`` a date. A typo lists the known names."""
    from openpbr.reference import builtin_dataset

    names = reference_names()
    if name not in names:
        raise NotFound(f"no reference dataset named {name[:60]!r}; known: {', '.join(names)}")
    ds = builtin_dataset(name)
    entries = list(ds.in_force(on)) if on else [e for k in ds.keys() for e in ds.history(k)]
    return DatasetDetail(
        name=name, dataset=ds.dataset, version=ds.version, ref=ds.ref, entries=len(ds.entries), on=on,
        items=[EntryOut(key=e.key, valid_from=e.valid_from, valid_to=e.valid_to, value=e.value, source=e.provenance.label()) for e in entries],
    )  # fmt: skip
