"""The clustering process on the record.

New assessment -> suggestion (clustering engine) -> the clinician confirms or
overrides -> the open cluster period closes (its review is recorded) and a
new one opens with its review due date and care package. Every step writes
an audit entry in the same transaction.

Rules enforced here:
- an override (chosen cluster differs from the suggestion, or breaks a red
  rule) needs a reason;
- a move outside the care transition rules needs a reason (rules are
  provisional reference data);
- anyone can be discharged from any cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openpbr.clustering import Allocation, Context, DecisionCode, DecisionError, decide, suggest
from openpbr.clustering import Assessment as MHCTAssessment
from openpbr.clustering.ratings import cluster_code
from openpbr.db import ConflictError, is_unique_violation
from openpbr.errors import InputError, NotFound
from openpbr.records import audit
from openpbr.records.careplans import check_transition, package_for
from openpbr.records.models import (
    ASSESSMENT_REASONS,
    ITEM_COLUMNS,
    Assessment,
    CarePackageAssignment,
    ClusterPeriod,
    Discharge,
    Organisation,
    ReferenceDatasetLoad,
    Review,
    ServiceUser,
    Team,
)
from openpbr.reference import builtin_dataset


class ProcessError(InputError, ValueError):
    """The step cannot be recorded as asked; the message says what is missing."""

    code = "NOT_RECORDED"


class ReasonRequired(ProcessError):
    code = "REASON_REQUIRED"


PERIOD_CONFLICT = ("someone else changed this person's cluster period; nothing was saved; "
                   "reload and decide again")


ANY = object()  # allocate(): no expectation about the open period


def person(session: Session, pseudo_id: str) -> ServiceUser:
    su = session.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == pseudo_id))
    if su is None:
        raise NotFound(f"no service user {pseudo_id}")
    return su


def open_period(session: Session, service_user_id: int) -> ClusterPeriod | None:
    return session.scalar(
        select(ClusterPeriod).where(ClusterPeriod.service_user_id == service_user_id, ClusterPeriod.end_on.is_(None))
    )


def _org(session: Session, ods: str, role: str) -> Organisation:
    org = session.scalar(select(Organisation).where(Organisation.ods_code == ods, Organisation.role == role))
    if org is None:
        raise ProcessError(f"no {role} with ODS code {ods}")
    return org


def record_assessment(
    session: Session,
    su: ServiceUser,
    *,
    clust_id: str,
    assessed_on: date,
    assessor: str,
    reason: str,
    ratings: tuple[int, ...],
    item_08_type: str | None = None,
    team: Team | None = None,
    actor: str | None = None,
) -> Assessment:
    if reason not in ASSESSMENT_REASONS:
        raise ProcessError(f"reason must be one of {', '.join(ASSESSMENT_REASONS)}")
    try:
        MHCTAssessment(ratings=tuple(ratings), item_08_type=item_08_type, assessment_id=clust_id)  # validates ratings
    except ValueError as exc:
        raise ProcessError(str(exc)) from None
    if session.scalar(select(Assessment.id).where(Assessment.clust_id == clust_id)) is not None:
        raise ProcessError(f"assessment id {clust_id} is already recorded: give each assessment its own id",
                           code="DUPLICATE_CLUST_ID")
    a = Assessment(
        clust_id=clust_id, service_user_id=su.id, team_id=team.id if team else None, assessor=assessor,
        assessed_on=assessed_on, reason=reason, item_08_type=item_08_type, **dict(zip(ITEM_COLUMNS, ratings)),
    )
    session.add(a)
    try:
        session.flush()
    except IntegrityError as exc:  # saved by someone else since the check above
        if is_unique_violation(exc):
            raise ProcessError(f"assessment id {clust_id} is already recorded: give each assessment its own id",
                               code="DUPLICATE_CLUST_ID") from None
        raise
    audit.record(session, actor or assessor, "assessment", "assessment", clust_id, person=su.pseudo_id,
                 assessed_on=assessed_on, reason=reason, ratings=list(ratings), item_08_type=item_08_type)
    return a


def mhct_assessment(su: ServiceUser, a: Assessment, previous: str | None) -> MHCTAssessment:
    age = a.assessed_on.year - su.birth_year if su.birth_year else None
    ctx = Context(assessed_on=a.assessed_on, psychosis_history=su.psychosis_history, age=age, previous_cluster=previous)
    return MHCTAssessment(ratings=a.ratings(), item_08_type=a.item_08_type, assessment_id=a.clust_id, context=ctx)


def suggestion_for(su: ServiceUser, a: Assessment, previous: str | None) -> Allocation:
    return suggest(mhct_assessment(su, a, previous))


@dataclass(frozen=True)
class AllocationResult:
    period: ClusterPeriod
    suggestion: Allocation
    overridden: bool
    transition: str
    closed: ClusterPeriod | None


def allocate(
    session: Session,
    su: ServiceUser,
    a: Assessment,
    *,
    chosen_by: str,
    provider: str,
    commissioner: str,
    team: Team | None = None,
    chosen_cluster: str | None = None,
    override_reason: str | None = None,
    transition_reason: str | None = None,
    based_on: ClusterPeriod | None | object = ANY,
    actor: str | None = None,
) -> AllocationResult:
    """Confirm or override the suggestion for assessment ``a`` and open the new cluster period.

    ``based_on`` is the open period (or None) the clinician saw when deciding;
    if someone else has changed it since, a ConflictError is raised instead
    of stacking one decision silently on top of the other. Without it, a
    decision that would end the open period on the day it started (a 0-day
    period: almost always two clinicians deciding at once) is refused too.
    """
    actor = actor or chosen_by
    current = open_period(session, su.id)
    if based_on is not ANY and based_on is not current:
        raise ConflictError(PERIOD_CONFLICT)
    if based_on is ANY and current is not None and current.start_on == a.assessed_on and current.assessment_id != a.id:
        raise ConflictError(PERIOD_CONFLICT)
    mhct = mhct_assessment(su, a, current.chosen_cluster if current else None)
    suggestion = suggest(mhct)
    chosen = cluster_code(chosen_cluster) if chosen_cluster is not None else suggestion.cluster
    if chosen is None:
        raise ProcessError(f"no suggestion ({suggestion.result_code.value}): choose a cluster and give a reason")
    try:  # the clustering core owns the override rule; records only stores the decision
        decision = decide(mhct, suggestion, chosen, chosen_by, override_reason, a.assessed_on)
    except DecisionError as err:
        if err.code is DecisionCode.OVERRIDE_REASON_REQUIRED:
            raise ReasonRequired(str(err)) from err
        raise ProcessError(str(err)) from err
    breach = bool(decision.red_rules_broken)
    red_rules = ";".join(str(r) for r in decision.red_rules_broken) or None
    overridden = decision.is_override
    check = check_transition(current.chosen_cluster if current else None, chosen, a.assessed_on)
    if check.needs_reason and not (transition_reason or "").strip():
        raise ReasonRequired(
            f"move {check.from_cluster} -> {chosen} is outside the care transition rules ({check.rule_ref}): a reason is required"
        )
    prov, comm = _org(session, provider, "provider"), _org(session, commissioner, "commissioner")

    if current is not None:
        if a.assessed_on < current.start_on:
            raise ProcessError("assessment is dated before the open cluster period started")
        _close(session, current, a.assessed_on)
        session.add(Review(
            cluster_period_id=current.id, service_user_id=su.id, assessment_id=a.id, due_on=current.review_due,
            reviewed_on=a.assessed_on, reviewed_by=chosen_by, late=a.assessed_on > current.review_due,
            outcome="confirmed" if chosen == current.chosen_cluster else "changed",
        ))
    period = ClusterPeriod(
        service_user_id=su.id, assessment_id=a.id, provider_id=prov.id, commissioner_id=comm.id,
        team_id=team.id if team else a.team_id, start_on=a.assessed_on, suggested_cluster=suggestion.cluster,
        fit=suggestion.fit, result_code=suggestion.result_code.value, red_rules=red_rules, red_rule_breach=breach,
        chosen_cluster=chosen, chosen_by=chosen_by, override_reason=override_reason if overridden else None,
        transition_reason=transition_reason if check.needs_reason else None, profile_ref=suggestion.profile_ref,
        review_due=_review_due(a.assessed_on, chosen),
    )
    session.add(period)
    _flush(session)
    pkg = package_for(chosen, a.assessed_on)
    session.add(CarePackageAssignment(
        service_user_id=su.id, cluster_period_id=period.id, package_key=pkg.key, package_ref=pkg.ref,
        cost_per_cluster_day=pkg.cost_per_cluster_day, start_on=a.assessed_on,
    ))
    events = [audit.Event(actor, "allocation", "cluster_period", str(period.id), dict(
        person=su.pseudo_id, clust_id=a.clust_id, suggested=suggestion.cluster, fit=suggestion.fit,
        result_code=suggestion.result_code.value, chosen=chosen, transition=check.kind,
        transition_reason=period.transition_reason, closed_period=current.id if current else None,
        review_due=period.review_due, profile_ref=suggestion.profile_ref, care_package=pkg.key,
    ))]
    if overridden:
        events.append(audit.Event(actor, "override", "cluster_period", str(period.id), dict(
            person=su.pseudo_id, suggested=suggestion.cluster, chosen=chosen, red_rules=red_rules, reason=override_reason,
        )))
    if current is not None:
        events.append(audit.Event(actor, "review", "cluster_period", str(current.id), dict(
            person=su.pseudo_id, due_on=current.review_due, reviewed_on=a.assessed_on,
            late=a.assessed_on > current.review_due,
        )))
    audit.append_many(session, events)
    _flush(session)
    return AllocationResult(period, suggestion, overridden, check.kind, current)


def _review_due(assessed_on: date, cluster: str) -> date:
    from openpbr.clustering import review_due

    return review_due(assessed_on, cluster)


def _close(session: Session, period: ClusterPeriod, on: date) -> None:
    period.end_on = on
    pkg = session.scalar(select(CarePackageAssignment).where(CarePackageAssignment.cluster_period_id == period.id))
    if pkg is not None:
        pkg.end_on = on
    _flush(session)


def _flush(session: Session) -> None:
    """Flush, turning a clash on the one-open-period rule into a ConflictError."""
    try:
        session.flush()
    except IntegrityError as exc:
        if is_unique_violation(exc):
            raise ConflictError(PERIOD_CONFLICT) from exc
        raise


def discharge(session: Session, su: ServiceUser, *, on: date, by: str, reason: str | None = None,
              actor: str | None = None) -> Discharge:
    """Discharge from whatever cluster the person is in."""
    current = open_period(session, su.id)
    if current is None:
        raise ProcessError(f"{su.pseudo_id} has no open cluster period")
    if on < current.start_on:
        raise ProcessError("discharge date is before the open cluster period started")
    _close(session, current, on)
    d = Discharge(service_user_id=su.id, cluster_period_id=current.id, discharged_on=on, discharged_by=by,
                  from_cluster=current.chosen_cluster, reason=reason)
    session.add(d)
    session.flush()
    audit.record(session, actor or by, "discharge", "cluster_period", current.id, person=su.pseudo_id, on=on,
                 from_cluster=current.chosen_cluster, reason=reason)
    return d


def current_package(session: Session, su: ServiceUser, on: date | None = None):
    """The care package that follows from the person's open cluster, or None when not clustered."""
    current = open_period(session, su.id)
    if current is None:
        return None
    return package_for(current.chosen_cluster, on or current.start_on)


def record_accommodation(session: Session, su: ServiceUser, *, settled: bool, on: date, by: str,
                         actor: str | None = None) -> None:
    su.settled_accommodation = settled
    su.accommodation_recorded_on = on
    session.flush()  # optimistic lock check happens here
    audit.record(session, actor or by, "accommodation", "service_user", su.pseudo_id, settled=settled, on=on)


REFERENCE_DATASETS = ("clusters", "review_periods", "care_transitions", "care_packages")


def register_reference_data(session: Session, actor: str = "system", names: tuple[str, ...] = REFERENCE_DATASETS) -> list[str]:
    """Record (and audit) any reference dataset version this database has not seen yet."""
    seen = {(r.dataset, r.checksum) for r in session.execute(select(ReferenceDatasetLoad.dataset, ReferenceDatasetLoad.checksum))}
    changed = []
    for name in names:
        ds = builtin_dataset(name)
        if (ds.dataset, ds.checksum) in seen:
            continue
        session.add(ReferenceDatasetLoad(dataset=ds.dataset, version=ds.version, checksum=ds.checksum,
                                         loaded_at=datetime.now(timezone.utc).replace(tzinfo=None)))
        provisional = any(e.provenance.provisional for e in ds.entries)
        audit.record(session, actor, "reference_change", "reference_dataset", ds.dataset,
                     version=ds.version, checksum=ds.checksum, provisional=provisional)
        changed.append(ds.ref)
    session.flush()
    return changed
