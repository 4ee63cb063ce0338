"""Care records for the pages, over the records services (``openpbr.services``).

The services apply the scope and audit every read of a person's record; this
module only shapes their answers for templates. Registered people not yet in
a cluster (an open referral, no period) are added to the caseload here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from openpbr.access import Scope, require
from openpbr.records.models import ClusterPeriod, Organisation, Referral, ServiceUser, Team
from openpbr.reference import builtin_dataset
from openpbr.services import care_record
from openpbr.services.records import _person


def cluster_name(code: str | None, on: date) -> str:
    if not code:
        return ""
    try:
        return builtin_dataset("clusters").resolve(code, on).value["name"]
    except LookupError:
        return code


def person_in_scope(session: Session, scope: Scope, pseudo_id: str) -> ServiceUser:
    """The person, if the scope may see them; NotFound otherwise (existence not revealed)."""
    require(scope, "people:read")
    return _person(session, scope, pseudo_id)


def audit_read(session: Session, scope: Scope, pseudo_id: str, what: str) -> None:
    care_record.audit_read(session, scope, pseudo_id, what)


@dataclass(frozen=True)
class CaseloadRow:
    person: str
    cluster: str | None
    cluster_name: str
    since: date | None
    review_due: date | None
    team: str | None
    status: str  # overdue, due, in cluster, awaiting assessment


def caseload(session: Session, scope: Scope, as_of: date, *, team: str | None = None) -> list[CaseloadRow]:
    rows = []
    for r in care_record.caseload(session, scope, as_of=as_of, team=team or scope.team):
        due = r.review_due
        status = "overdue" if due and due < as_of else "due" if due and (due - as_of).days <= 28 else "in cluster"
        rows.append(CaseloadRow(r.person, r.cluster, cluster_name(r.cluster, r.since), r.since, due, r.team, status))
    rows.sort(key=lambda r: (r.review_due or date.max, r.person))
    # Registered and referred to the team, not yet clustered.
    cp = ClusterPeriod
    open_period = exists().where(cp.service_user_id == ServiceUser.id, or_(cp.end_on.is_(None), cp.end_on > as_of))
    waiting = (select(ServiceUser.pseudo_id, Referral.received_on, Team.code)
               .join(Referral, Referral.service_user_id == ServiceUser.id).join(Team, Team.id == Referral.team_id)
               .where(Referral.closed_on.is_(None), Referral.received_on <= as_of, ~open_period))
    if not scope.all_organisations:
        waiting = waiting.where(Referral.provider_id.in_(
            select(Organisation.id).where(Organisation.ods_code.in_(sorted(scope.organisations)))))
    if team or scope.team:
        waiting = waiting.where(Team.code == (team or scope.team))
    for p, received, t in session.execute(waiting.order_by(Referral.received_on.desc())):
        rows.append(CaseloadRow(p, None, "", received, None, t, "awaiting assessment"))
    return rows


@dataclass(frozen=True)
class TimelineEvent:
    on: date
    kind: str  # assessment, cluster, review, discharge
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
    period_id: int | None
    period_version: int | None
    events: list[TimelineEvent]


def person_record(session: Session, scope: Scope, pseudo_id: str, as_of: date) -> PersonRecord:
    t = care_record.timeline(session, scope, person=pseudo_id, as_of=as_of)
    events: list[TimelineEvent] = []
    for a in t.assessments:
        events.append(TimelineEvent(a.assessed_on, "assessment", f"MHCT assessment ({a.reason})", f"by {a.assessor}"))
    for p in t.periods:
        how = (f"override of suggested {p.suggested}: {p.override_reason}" if p.overridden
               else "suggestion confirmed")
        fit = f", fit {p.fit:.2f}" if p.fit is not None else ""
        events.append(TimelineEvent(p.start_on, "cluster", f"Cluster {p.cluster} {cluster_name(p.cluster, p.start_on)}",
                                    f"{how}{fit}; decided by {p.chosen_by}; review due {p.review_due}"))
    for r in t.reviews:
        events.append(TimelineEvent(r.reviewed_on, "review", f"Review: {r.outcome}",
                                    f"due {r.due_on}, {'late' if r.late else 'on time'}; by {r.reviewed_by}"))
    for d in t.discharges:
        events.append(TimelineEvent(d.discharged_on, "discharge", f"Discharged from cluster {d.from_cluster}",
                                    f"by {d.discharged_by}"))
    order = {"assessment": 0, "review": 1, "cluster": 2, "discharge": 3}
    events.sort(key=lambda e: (e.on, order[e.kind]), reverse=True)
    o = t.open_period
    last = o or (t.periods[0] if t.periods else None)
    return PersonRecord(pseudo_id, t.birth_year, o.cluster if o else None,
                        cluster_name(o.cluster, o.start_on) if o else "", o.start_on if o else None,
                        o.review_due if o else None, last.team if last else None, last.provider if last else None,
                        last.commissioner if last else None, o.period_id if o else None, o.version if o else None,
                        events)


@dataclass(frozen=True)
class AccessEntry:
    when: object
    who: str
    role: str
    what: str


WHAT = {"timeline": "looked at your care record", "my care": "looked at your care summary",
        "statement check": "checked a payment for your care", "assessment form": "opened an assessment form"}


def who_looked(session: Session, scope: Scope, as_of: date) -> list[AccessEntry]:
    """A service user's own record: who has read it, newest first."""
    from openpbr.errors import NotFound

    if not scope.person:
        raise NotFound("not found")
    out = []
    for v in care_record.record_views(session, scope, person=scope.person):
        role = "you" if v.who == scope.actor else (v.role or "care team").replace("_", " ")
        out.append(AccessEntry(v.at, v.who, role, WHAT.get(v.what, v.what or "looked at your record")))
    return out
