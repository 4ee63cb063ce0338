"""The review worklist for pages: due and overdue reviews in scope, by team and care coordinator.

The rules are those of :mod:`openpbr.records.worklist`: a period open on
``as_of`` is overdue when its review was due before ``as_of`` and due when it
falls within the horizon. The care coordinator shown is the clinician who
made the period's cluster decision.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from openpbr.access import Scope, require
from openpbr.records.models import ClusterPeriod, Organisation, ServiceUser, Team

HORIZON_DAYS = 28
SORTS = {"review_due": "Review due", "person": "Person", "team": "Team", "coordinator": "Care coordinator",
         "cluster": "Cluster", "days_overdue": "Days overdue"}


@dataclass(frozen=True)
class WorklistRow:
    person: str
    team: str | None
    coordinator: str
    cluster: str
    review_due: date
    days_overdue: int
    status: str


@dataclass
class WorklistView:
    rows: list[WorklistRow]
    teams: list[str]
    coordinators: list[str]
    by_team: list[tuple[str, int, int]] = field(default_factory=list)  # team, due, overdue
    sort: str = "review_due"
    descending: bool = False
    total: int = 0


def worklist(session: Session, scope: Scope, as_of: date, *, team: str | None = None, status: str | None = None,
             coordinator: str | None = None, sort: str = "review_due", descending: bool = False,
             limit: int = 500) -> WorklistView:
    require(scope, "worklist:read")
    cp = ClusterPeriod
    stmt = (select(ServiceUser.pseudo_id, Team.code, cp.chosen_by, cp.chosen_cluster, cp.review_due)
            .join(ServiceUser, ServiceUser.id == cp.service_user_id).outerjoin(Team, Team.id == cp.team_id)
            .where(cp.start_on <= as_of, or_(cp.end_on.is_(None), cp.end_on > as_of),
                   cp.review_due <= as_of + timedelta(days=HORIZON_DAYS)))
    if not scope.all_organisations:
        orgs = select(Organisation.id).where(Organisation.ods_code.in_(sorted(scope.organisations)))
        stmt = stmt.where(cp.provider_id.in_(orgs))
    all_rows = [WorklistRow(p, t, by, c, due, (as_of - due).days, "overdue" if due < as_of else "due")
                for p, t, by, c, due in session.execute(stmt)]
    teams = sorted({r.team for r in all_rows if r.team})
    coordinators = sorted({r.coordinator for r in all_rows})
    due = Counter(r.team or "" for r in all_rows if r.status == "due")
    over = Counter(r.team or "" for r in all_rows if r.status == "overdue")
    by_team = [(t, due[t], over[t]) for t in teams]
    rows = [r for r in all_rows if (not team or r.team == team) and (not status or r.status == status)
            and (not coordinator or r.coordinator == coordinator)]
    sort = sort if sort in SORTS else "review_due"
    rows.sort(key=lambda r: (getattr(r, sort) or "", r.person), reverse=descending)
    return WorklistView(rows[:limit], teams, coordinators, by_team, sort, descending, len(rows))
