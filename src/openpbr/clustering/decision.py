"""The clinician's decision: the suggestion never decides.

A clinician confirms the suggested cluster or chooses another. A reason is
required whenever the chosen cluster differs from the suggestion or breaks a
red rule; the decision records both the suggestion and the choice, so audit
can always see who overrode what, and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import Any

from openpbr.clustering.engine import CTX_BIT0
from openpbr.clustering.profiles import ProfileSet, load_profiles
from openpbr.clustering.ratings import ALLOCATABLE_CLUSTERS, ITEM_CODES, NOT_KNOWN, Assessment, cluster_code
from openpbr.clustering.suggest import Allocation, RedRule, red_rule_list

MIN_REASON_LENGTH = 5  # a reason must say something: "n/a" or "." is not a reason


class DecisionCode(str, Enum):
    CONFIRMED = "CONFIRMED"  # chosen = suggested, no red rule broken
    OVERRIDDEN = "OVERRIDDEN"  # chosen differs or breaks a red rule, with a reason
    OVERRIDE_REASON_REQUIRED = "OVERRIDE_REASON_REQUIRED"
    INVALID_CLUSTER = "INVALID_CLUSTER"
    MISSING_CLINICIAN = "MISSING_CLINICIAN"


class DecisionError(ValueError):
    def __init__(self, code: DecisionCode, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class Decision:
    assessment_id: str
    suggested: str | None
    chosen: str
    chosen_by: str
    code: DecisionCode
    override_reason: str | None
    red_rules_broken: tuple[RedRule, ...]
    decided_on: date | None
    trace: dict[str, Any] = field(default_factory=dict)

    @property
    def is_override(self) -> bool:
        return self.code is DecisionCode.OVERRIDDEN


def red_rules_for(assessment: Assessment, cluster: str, profiles: ProfileSet) -> tuple[RedRule, ...]:
    """Red rules a given cluster breaks for this assessment (00 has none)."""
    if cluster not in profiles.clusters:
        return ()
    bits = 0
    for i, code in enumerate(ITEM_CODES):
        red = profiles.red_range(cluster, code)
        r = assessment.ratings[i]
        if red is not None and r != NOT_KNOWN and r not in red:
            bits |= 1 << i
    ctx = assessment.context
    for j, rule in enumerate(profiles.spec.context_rules):
        if cluster in rule.clusters and rule.applies(ctx.psychosis_history, ctx.age):
            bits |= 1 << (CTX_BIT0 + j)
    return red_rule_list(profiles, cluster, bits, assessment.ratings)


def decide(
    assessment: Assessment,
    allocation: Allocation,
    chosen: str,
    chosen_by: str,
    override_reason: str | None = None,
    decided_on: date | None = None,
    profiles: ProfileSet | None = None,
) -> Decision:
    """Record the clinician's choice; raises DecisionError when it cannot be accepted."""
    profiles = profiles or load_profiles()
    try:
        chosen = cluster_code(chosen)
    except ValueError as exc:
        raise DecisionError(DecisionCode.INVALID_CLUSTER, f"chosen cluster: {exc}") from exc
    if chosen not in ALLOCATABLE_CLUSTERS:
        raise DecisionError(DecisionCode.INVALID_CLUSTER, f"chosen cluster: {chosen} is not allocatable")
    if not (chosen_by or "").strip():
        raise DecisionError(DecisionCode.MISSING_CLINICIAN, "chosen_by: the clinician who chose the cluster is required")
    broken = red_rules_for(assessment, chosen, profiles)
    reason = (override_reason or "").strip() or None
    differs = chosen != allocation.cluster
    needs_reason = differs or bool(broken)
    if needs_reason and (reason is None or len(reason) < MIN_REASON_LENGTH):
        why = []
        if differs:
            why.append(f"it differs from the suggestion {allocation.cluster or 'none'}")
        if broken:
            why.append("it breaks " + "; ".join(r.reason for r in broken))
        raise DecisionError(
            DecisionCode.OVERRIDE_REASON_REQUIRED,
            f"override_reason: choosing {chosen} needs a reason because " + " and ".join(why),
        )
    code = DecisionCode.OVERRIDDEN if needs_reason else DecisionCode.CONFIRMED
    return Decision(
        assessment_id=assessment.assessment_id,
        suggested=allocation.cluster,
        chosen=chosen,
        chosen_by=chosen_by.strip(),
        code=code,
        override_reason=reason,
        red_rules_broken=broken,
        decided_on=decided_on,
        trace={
            "rule": "mhct.clinician-decision/v1",
            "suggested": allocation.cluster,
            "suggestion_result": allocation.result_code.value,
            "suggested_fit": allocation.fit,
            "chosen": chosen,
            "chosen_fit": allocation.trace.get("fit", {}).get(chosen),
            "red_rules_broken": [str(r) for r in broken],
            "profile_set": allocation.profile_ref,
        },
    )
