"""Suggest a cluster for one assessment, with the explanation a clinician needs.

This runs the same vectorised engine as the batch path on a single row, then
spells out the result: fit per candidate, which red rules each breaks and why,
the super class decision, the review due date, and a trace naming the rule,
the inputs and the reference-data versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from openpbr.clustering.codes import DESCRIPTIONS, ResultCode
from openpbr.clustering.engine import CTX_BIT0, S_OK, S_VARIANCE, STATUS, score
from openpbr.clustering.profiles import ProfileSet, format_ratings, load_profiles
from openpbr.clustering.ratings import ITEM_CODES, Assessment
from openpbr.clustering.review import review_due, review_periods
from openpbr.reference import builtin_dataset

RULE = "mhct.profile-fit/v1"


@dataclass(frozen=True)
class RedRule:
    cluster: str
    rule: str  # item code or context rule id
    reason: str

    def __str__(self) -> str:
        return f"{self.cluster}:{self.rule}"


@dataclass(frozen=True)
class Candidate:
    cluster: str
    name: str
    super_class: str | None
    fit: float
    red_rules: tuple[RedRule, ...]


@dataclass(frozen=True)
class Allocation:
    assessment_id: str
    result_code: ResultCode
    cluster: str | None
    super_class: str | None
    fit: float | None
    candidates: tuple[Candidate, ...]
    review_due: date | None
    profile_ref: str
    provisional: bool
    message: str
    trace: dict[str, Any] = field(default_factory=dict)

    @property
    def red_rules(self) -> tuple[str, ...]:
        return tuple(str(r) for c in self.candidates for r in c.red_rules)


def red_rule_list(profiles: ProfileSet, cluster: str, bits: int, ratings: tuple[int, ...]) -> tuple[RedRule, ...]:
    """Decode a breach bitmask for one cluster into named rules with reasons."""
    out: list[RedRule] = []
    for i, code in enumerate(ITEM_CODES):
        if bits & (1 << i):
            red = profiles.red_range(cluster, code) or frozenset()
            out.append(RedRule(cluster, code, f"{code} rated {ratings[i]}; cluster {cluster} red range is {format_ratings(red)}"))
    for j, rule in enumerate(profiles.spec.context_rules):
        if bits & (1 << (CTX_BIT0 + j)):
            out.append(RedRule(cluster, rule.id, rule.reason))
    return tuple(out)


def _cluster_name(code: str, on: date) -> str:
    return builtin_dataset("clusters").resolve(code, on).value["name"]


def suggest(assessment: Assessment, profiles: ProfileSet | None = None) -> Allocation:
    profiles = profiles or load_profiles()
    ctx = assessment.context
    on = ctx.assessed_on or profiles.spec.valid_from
    prev_idx = -1
    if ctx.previous_cluster and ctx.previous_cluster in profiles.clusters:
        prev_idx = profiles.cluster_index(ctx.previous_cluster)
    s = score(
        np.array([assessment.ratings]),
        profiles,
        psychosis_history=np.array([-1 if ctx.psychosis_history is None else int(ctx.psychosis_history)]),
        age=np.array([-1 if ctx.age is None else ctx.age]),
        previous=np.array([prev_idx]),
        in_force=np.array([ctx.assessed_on is None or profiles.in_force(ctx.assessed_on)]),
        full_fit=True,
    )
    status = int(s.status[0])
    code = STATUS[status]
    clustered = status in (S_OK, S_VARIANCE)
    candidates = tuple(
        Candidate(
            cluster=profiles.clusters[ci],
            name=_cluster_name(profiles.clusters[ci], on),
            super_class=profiles.super_classes[ci],
            fit=round(float(s.top_fit[0, t]), 3),
            red_rules=red_rule_list(profiles, profiles.clusters[ci], int(s.top_bits[0, t]), assessment.ratings),
        )
        for t, ci in enumerate(s.top[0])
        if clustered
    )
    if status == S_OK:
        cluster, super_class, fit = candidates[0].cluster, candidates[0].super_class, candidates[0].fit
    elif status == S_VARIANCE:
        cluster, super_class, fit = "00", None, candidates[0].fit
    else:
        cluster, super_class, fit, candidates = None, None, None, ()
    due = review_due(ctx.assessed_on, cluster) if (ctx.assessed_on and cluster) else None
    message = _message(code, candidates, profiles, s, assessment)
    trace = {
        "rule": RULE,
        "result_code": code.value,
        "profile_set": profiles.ref,
        "profile_provisional": profiles.provisional,
        "reference": {"clusters": builtin_dataset("clusters").ref, "review_periods": review_periods().ref},
        "inputs": {
            "ratings": dict(zip(ITEM_CODES, assessment.ratings)),
            "item_08_type": assessment.item_08_type,
            "assessed_on": ctx.assessed_on.isoformat() if ctx.assessed_on else None,
            "psychosis_history": ctx.psychosis_history,
            "age": ctx.age,
            "previous_cluster": ctx.previous_cluster,
        },
        "settings": profiles.settings.model_dump(),
        "super_class_fit": _super_class_fit(profiles, s),
        "fit": {c: round(float(f), 3) for c, f in zip(profiles.clusters, s.fit[0])},
        "breaches": [c for c, b in zip(profiles.clusters, s.breach[0]) if b],
        "stability_applied": bool(s.stability[0]),
        "not_known": int(s.not_known[0]),
    }
    return Allocation(
        assessment_id=assessment.assessment_id,
        result_code=code,
        cluster=cluster,
        super_class=super_class,
        fit=fit,
        candidates=candidates,
        review_due=due,
        profile_ref=profiles.ref,
        provisional=profiles.provisional,
        message=message,
        trace=trace,
    )


def _super_class_fit(profiles: ProfileSet, s) -> dict[str, float | None]:
    """Best fit within each super class among clusters that break no red rule."""
    out: dict[str, float | None] = {}
    for sc in ("A", "B", "C"):
        mask = (profiles.super_classes == sc) & ~s.breach[0]
        out[sc] = round(float(s.fit[0][mask].max()), 3) if mask.any() else None
    return out


def _message(code: ResultCode, candidates, profiles: ProfileSet, s, assessment: Assessment) -> str:
    settings = profiles.settings
    if code is ResultCode.OK:
        top = candidates[0]
        extra = " (previous cluster kept: within the stability margin of the best fit)" if s.stability[0] else ""
        return f"Suggested {top.cluster} {top.name}, fit {top.fit:.3f}{extra}"
    if code is ResultCode.VARIANCE:
        top = candidates[0]
        if top.red_rules:
            why = "; ".join(r.reason for r in top.red_rules)
            return f"No cluster without a red-rule breach fits: best {top.cluster} breaks {why}"
        return f"Best fit {top.cluster} at {top.fit:.3f} is below the variance threshold {settings.variance_threshold}"
    if code is ResultCode.INSUFFICIENT_RATINGS:
        return f"{int(s.not_known[0])} items not known (9); at most {settings.max_not_known} allowed: {', '.join(assessment.not_known)}"
    if code is ResultCode.AGE_OUT_OF_SCOPE:
        return f"age {assessment.context.age} is below the minimum {settings.min_age} for this profile set"
    return DESCRIPTIONS[code]
