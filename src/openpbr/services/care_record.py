"""Reading one person's care record: caseload, timeline, and who has looked at it.

Every read of person-level data appends a ``read`` event to the hash-chained
audit log naming the real actor and their role, so a service user can see who
has looked at their record (:func:`record_views`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from openpbr.access import Role, Scope, require
from openpbr.errors import NotFound
from openpbr.records import audit
from openpbr.records.models import (
    Assessment,
    AuditEntry,
    ClusterPeriod,
    Discharge,
    Organisation,
    Review,
    ServiceUser,
    Team,
)
from openpbr.services.records import _person, _visible_people


def audit_read(session: Session, scope: Scope, person: str, what: str) -> None:
    """Note that ``scope.actor`` read ``what`` of ``person``'s record (pseudonymous id only)."""
    audit.record(session, scope.actor[:40], "read", "service_user", person, what=what, role=scope.role.value)


@dataclass(frozen=True)
class CaseloadRow:
    person: str
    cluster: str
    since: date
    review_due: date | None
    provider: str
    team: str | None
    chosen_by: str
    period_id: int


def caseload(session: Session, scope: Scope, *, as_of: date, team: str | None = None) -> list[CaseloadRow]:
    """People in a cluster on ``as_of`` whom the scope may see; a clinician's own team unless another is named."""
    require(scope, "records:read")
    cp, prov = ClusterPeriod, aliased(Organisation)
    stmt = (select(ServiceUser.pseudo_id, cp.chosen_cluster, cp.start_on, cp.review_due, prov.ods_code, Team.code,
                   cp.chosen_by, cp.id)
            .join(ServiceUser, ServiceUser.id == cp.service_user_id)
            .join(prov, prov.id == cp.provider_id).outerjoin(Team, Team.id == cp.team_id)
            .where(cp.start_on <= as_of, or_(cp.end_on.is_(None), cp.end_on > as_of)))
    visible = _visible_people(scope)
    if visible is not None:
        stmt = stmt.where(cp.service_user_id.in_(visible))
        if not scope.all_organisations and scope.person is None:
            stmt = stmt.where(prov.ods_code.in_(sorted(scope.organisations)))
    wanted_team = team or (scope.team if scope.role is Role.CLINICIAN else None)
    if wanted_team:
        stmt = stmt.where(Team.code == wanted_team)
    rows = session.execute(stmt.order_by(ServiceUser.pseudo_id)).all()
    return [CaseloadRow(*r) for r in rows]


@dataclass(frozen=True)
class PeriodOut:
    period_id: int
    version: int
    cluster: str
    suggested: str | None
    fit: float | None
    start_on: date
    end_on: date | None
    review_due: date | None
    chosen_by: str
    overridden: bool
    override_reason: str | None
    red_rule_breach: bool
    provider: str
    commissioner: str
    team: str | None


@dataclass(frozen=True)
class ReviewOut:
    due_on: date
    reviewed_on: date
    reviewed_by: str
    late: bool
    outcome: str


@dataclass(frozen=True)
class AssessmentOut:
    clust_id: str
    assessed_on: date
    reason: str
    assessor: str


@dataclass(frozen=True)
class DischargeOut:
    discharged_on: date
    from_cluster: str
    discharged_by: str


@dataclass(frozen=True)
class Timeline:
    person: str
    birth_year: int | None
    open_period: PeriodOut | None
    periods: list[PeriodOut]
    reviews: list[ReviewOut]
    assessments: list[AssessmentOut]
    discharges: list[DischargeOut]


def timeline(session: Session, scope: Scope, *, person: str, as_of: date) -> Timeline:
    """A person's periods, reviews, assessments and discharges up to ``as_of``, newest first; audited."""
    require(scope, "records:read")
    su = _person(session, scope, person)
    prov, comm = aliased(Organisation), aliased(Organisation)
    cp = ClusterPeriod
    rows = session.execute(
        select(cp, prov.ods_code, comm.ods_code, Team.code).join(prov, prov.id == cp.provider_id)
        .join(comm, comm.id == cp.commissioner_id).outerjoin(Team, Team.id == cp.team_id)
        .where(cp.service_user_id == su.id, cp.start_on <= as_of).order_by(cp.start_on.desc(), cp.id.desc())).all()
    periods = [PeriodOut(p.id, p.version, p.chosen_cluster, p.suggested_cluster, p.fit, p.start_on,
                         p.end_on if p.end_on is None or p.end_on <= as_of else None, p.review_due, p.chosen_by,
                         bool(p.override_reason), p.override_reason, bool(p.red_rule_breach), pv, cm, tm)
               for p, pv, cm, tm in rows]
    open_now = next((p for p in periods if p.end_on is None), None)
    reviews = [ReviewOut(r.due_on, r.reviewed_on, r.reviewed_by, r.late, r.outcome) for r in session.scalars(
        select(Review).where(Review.service_user_id == su.id, Review.reviewed_on <= as_of)
        .order_by(Review.reviewed_on.desc()))]
    assessments = [AssessmentOut(a.clust_id, a.assessed_on, a.reason, a.assessor) for a in session.scalars(
        select(Assessment).where(Assessment.service_user_id == su.id, Assessment.assessed_on <= as_of)
        .order_by(Assessment.assessed_on.desc(), Assessment.id.desc()))]
    discharges = [DischargeOut(d.discharged_on, d.from_cluster, d.discharged_by) for d in session.scalars(
        select(Discharge).where(Discharge.service_user_id == su.id, Discharge.discharged_on <= as_of)
        .order_by(Discharge.discharged_on.desc()))]
    audit_read(session, scope, person, "timeline")
    return Timeline(person, su.birth_year, open_now, periods, reviews, assessments, discharges)


@dataclass(frozen=True)
class RecordView:
    at: datetime
    who: str
    role: str
    what: str


def record_views(session: Session, scope: Scope, *, person: str) -> list[RecordView]:
    """Who has read this person's record, newest first: for the person themself, or an auditor."""
    if scope.role is Role.SERVICE_USER:
        require(scope, "audit:read_own")
        if scope.person != person:
            raise NotFound(f"no service user {person}")
    else:
        require(scope, "audit:read")
        _person(session, scope, person)
    import json

    rows = session.scalars(select(AuditEntry).where(and_(AuditEntry.entity == "service_user",
                                                         AuditEntry.entity_id == person,
                                                         AuditEntry.action == "read"))
                           .order_by(AuditEntry.seq.desc()).limit(500))
    out = []
    for r in rows:
        payload = json.loads(r.payload or "{}")
        out.append(RecordView(r.recorded_at, r.actor, str(payload.get("role", "")), str(payload.get("what", ""))))
    return out
