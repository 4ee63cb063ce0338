"""Scoped reads of care records for the pages.

Until the records service lands, these wrap the domain code with the scope
checked here: a provider's staff reach only their organisation's people, a
clinician's caseload is their team, and a person outside scope is NotFound.
Each read of a person's record is written to the audit log with the actor.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from openpbr.access import Scope, require
from openpbr.errors import NotFound
from openpbr.records.models import (
    Assessment,
    AuditEntry,
    ClusterPeriod,
    Discharge,
    Organisation,
    Referral,
    Review,
    ServiceUser,
    Team,
)
from openpbr.reference import builtin_dataset


def cluster_name(code: str | None, on: date) -> str:
    if not code:
        return ""
    try:
        return builtin_dataset("clusters").resolve(code, on).value["name"]
    except LookupError:
        return code


def _org_ids(session: Session, scope: Scope) -> list[int]:
    codes = scope.organisation_filter()
    stmt = select(Organisation.id)
    if codes is not None:
        stmt = stmt.where(Organisation.ods_code.in_(sorted(codes)))
    return list(session.scalars(stmt))


def person_in_scope(session: Session, scope: Scope, pseudo_id: str) -> ServiceUser:
    """The person, if the scope's organisation has had them in its care; else NotFound (existence not revealed)."""
    require(scope, "people:read")
    su = session.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == pseudo_id))
    if su is None:
        raise NotFound("not found")
    if scope.all_organisations:
        return su
    orgs = _org_ids(session, scope)
    cared = session.scalar(select(
        exists().where(ClusterPeriod.service_user_id == su.id, ClusterPeriod.provider_id.in_(orgs))
        | exists().where(Referral.service_user_id == su.id, Referral.provider_id.in_(orgs))
    ))
    if not cared:
        raise NotFound("not found")
    return su


def audit_read(session: Session, scope: Scope, pseudo_id: str, what: str) -> None:
    from openpbr.records import audit

    audit.record(session, scope.actor, "read", "person", pseudo_id, person=pseudo_id, what=what,
                 role=scope.role.value, organisations=sorted(scope.organisations))


@dataclass(frozen=True)
class CaseloadRow:
    person: str
    cluster: str | None
    cluster_name: str
    since: date | None
    review_due: date | None
    team: str | None
    status: str  # overdue, due, in cluster, awaiting assessment

    @property
    def days_overdue(self) -> int | None:
        return None


def caseload(session: Session, scope: Scope, as_of: date, *, team: str | None = None) -> list[CaseloadRow]:
    """People with an open cluster period (or an open referral not yet clustered) in the team or organisation."""
    require(scope, "records:read")
    team = team or scope.team
    orgs = _org_ids(session, scope)
    cp = ClusterPeriod
    stmt = (select(ServiceUser.pseudo_id, cp.chosen_cluster, cp.start_on, cp.review_due, Team.code)
            .join(cp, cp.service_user_id == ServiceUser.id).outerjoin(Team, Team.id == cp.team_id)
            .where(cp.start_on <= as_of, or_(cp.end_on.is_(None), cp.end_on > as_of)))
    if not scope.all_organisations:
        stmt = stmt.where(cp.provider_id.in_(orgs))
    if team:
        stmt = stmt.where(Team.code == team)
    rows = []
    for p, c, since, due, t in session.execute(stmt.order_by(cp.review_due, ServiceUser.pseudo_id)):
        status = "overdue" if due and due < as_of else "due" if due and (due - as_of).days <= 28 else "in cluster"
        rows.append(CaseloadRow(p, c, cluster_name(c, since), since, due, t, status))
    # Registered and referred, not yet clustered.
    open_period = exists().where(cp.service_user_id == ServiceUser.id, or_(cp.end_on.is_(None), cp.end_on > as_of))
    waiting = (select(ServiceUser.pseudo_id, Referral.received_on, Team.code)
               .join(Referral, Referral.service_user_id == ServiceUser.id).join(Team, Team.id == Referral.team_id)
               .where(Referral.closed_on.is_(None), Referral.received_on <= as_of, ~open_period))
    if not scope.all_organisations:
        waiting = waiting.where(Referral.provider_id.in_(orgs))
    if team:
        waiting = waiting.where(Team.code == team)
    for p, received, t in session.execute(waiting.order_by(Referral.received_on.desc())):
        rows.append(CaseloadRow(p, None, "", received, None, t, "awaiting assessment"))
    return rows


@dataclass(frozen=True)
class TimelineEvent:
    on: date
    kind: str  # referral, assessment, cluster, review, discharge
    title: str
    detail: str


@dataclass(frozen=True)
class PersonRecord:
    person: str
    birth_year: int | None
    open_cluster: str | None
    open_cluster_name: str
    open_since: date | None
    review_due: date | None
    team: str | None
    provider: str | None
    commissioner: str | None
    events: list[TimelineEvent]


def person_record(session: Session, scope: Scope, pseudo_id: str) -> PersonRecord:
    su = person_in_scope(session, scope, pseudo_id)
    prov, comm = aliased(Organisation), aliased(Organisation)
    events: list[TimelineEvent] = []
    for r, t in session.execute(select(Referral, Team.code).join(Team, Team.id == Referral.team_id)
                                .where(Referral.service_user_id == su.id)):
        events.append(TimelineEvent(r.received_on, "referral", "Referral received", f"to team {t}"))
    for a in session.scalars(select(Assessment).where(Assessment.service_user_id == su.id)):
        events.append(TimelineEvent(a.assessed_on, "assessment", f"MHCT assessment ({a.reason})",
                                    f"by {a.assessor}; ratings {' '.join(str(x) for x in a.ratings())}"))
    periods = session.execute(
        select(ClusterPeriod, Team.code, prov.ods_code, comm.ods_code).outerjoin(Team, Team.id == ClusterPeriod.team_id)
        .join(prov, prov.id == ClusterPeriod.provider_id).join(comm, comm.id == ClusterPeriod.commissioner_id)
        .where(ClusterPeriod.service_user_id == su.id).order_by(ClusterPeriod.start_on)).all()
    current = None
    for p, t, pv, cm in periods:
        how = "suggestion confirmed" if p.override_reason is None else f"override of suggested {p.suggested_cluster}: {p.override_reason}"
        fit = f", fit {p.fit:.2f}" if p.fit is not None else ""
        events.append(TimelineEvent(p.start_on, "cluster", f"Cluster {p.chosen_cluster} {cluster_name(p.chosen_cluster, p.start_on)}",
                                    f"{how}{fit}; decided by {p.chosen_by}; review due {p.review_due}"))
        if p.end_on is None:
            current = (p, t, pv, cm)
    for rv in session.scalars(select(Review).where(Review.service_user_id == su.id)):
        events.append(TimelineEvent(rv.reviewed_on, "review", f"Review: {rv.outcome}",
                                    f"due {rv.due_on}, {'late' if rv.late else 'on time'}; by {rv.reviewed_by}"))
    for d in session.scalars(select(Discharge).where(Discharge.service_user_id == su.id)):
        events.append(TimelineEvent(d.discharged_on, "discharge", f"Discharged from cluster {d.from_cluster}",
                                    d.reason or ""))
    order = {"referral": 0, "assessment": 1, "review": 2, "cluster": 3, "discharge": 4}
    events.sort(key=lambda e: (e.on, order[e.kind]), reverse=True)
    audit_read(session, scope, pseudo_id, "timeline")
    if current:
        p, t, pv, cm = current
        return PersonRecord(pseudo_id, su.birth_year, p.chosen_cluster, cluster_name(p.chosen_cluster, p.start_on),
                            p.start_on, p.review_due, t, pv, cm, events)
    last = periods[-1] if periods else None
    return PersonRecord(pseudo_id, su.birth_year, None, "", None, None, last[1] if last else None,
                        last[2] if last else None, last[3] if last else None, events)


@dataclass(frozen=True)
class AccessEntry:
    when: Any
    who: str
    role: str
    what: str


def who_looked(session: Session, scope: Scope, as_of: date, limit: int = 100) -> list[AccessEntry]:
    """A service user's own record: who read or changed it, newest first (from the audit log)."""
    import json

    require(scope, "audit:read_own")
    pseudo = scope.person
    if not pseudo:
        raise NotFound("not found")
    stmt = (select(AuditEntry).where(or_(and_(AuditEntry.entity == "person", AuditEntry.entity_id == pseudo),
                                         AuditEntry.payload.like(f'%"person":"{pseudo}"%')))
            .order_by(AuditEntry.seq.desc()).limit(limit))
    out = []
    words = {"read": "looked at your record", "assessment": "recorded an assessment", "allocation": "recorded your care cluster",
             "override": "chose a cluster other than the suggested one", "review": "recorded a review",
             "discharge": "recorded a discharge", "register": "registered you"}
    for e in session.scalars(stmt):
        payload = json.loads(e.payload or "{}")
        role = str(payload.get("role") or "care team").replace("_", " ")
        what = words.get(e.action, e.action)
        if e.action == "read":
            what = {"timeline": "looked at your care record", "assessment": "opened an assessment form"}.get(
                str(payload.get("what")), "looked at your record")
        if e.actor == scope.actor:
            role = "you"
        out.append(AccessEntry(e.recorded_at, e.actor, role, what))
    return out
