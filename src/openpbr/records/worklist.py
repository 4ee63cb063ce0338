"""Review worklist: reviews due and overdue per team and provider, as of any date.

A cluster period open on ``as_of`` is *overdue* when its review due date is
before ``as_of`` and *due* when it falls within ``horizon_days`` from
``as_of`` (a review on the due date itself is on time). NHS Digital's ACC36
counts a person as within the review period only when the deadline is after
the reporting period end, so on the due date itself ACC36 already counts
them outside; the worklist lists them as due today.
"""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import or_, select
from sqlalchemy.orm import aliased

from openpbr.records.extract import Db, _connect
from openpbr.records.models import ClusterPeriod, Organisation, ServiceUser, Team

WORKLIST_SCHEMA = pa.schema([
    ("person", pa.string()), ("provider", pa.string()), ("commissioner", pa.string()), ("team", pa.string()),
    ("cluster", pa.string()), ("start_on", pa.date32()), ("review_due", pa.date32()),
    ("days_overdue", pa.int32()), ("status", pa.string()),
])


def review_worklist(db: Db, as_of: date, *, horizon_days: int = 28, provider: str | None = None, team: str | None = None) -> pa.Table:
    """Open cluster periods whose review is overdue or due within the horizon, most overdue first."""
    cp = ClusterPeriod
    prov, comm = aliased(Organisation), aliased(Organisation)
    stmt = (
        select(ServiceUser.pseudo_id, prov.ods_code, comm.ods_code, Team.code, cp.chosen_cluster, cp.start_on, cp.review_due)
        .select_from(cp)
        .join(ServiceUser, ServiceUser.id == cp.service_user_id)
        .join(prov, prov.id == cp.provider_id)
        .join(comm, comm.id == cp.commissioner_id)
        .outerjoin(Team, Team.id == cp.team_id)
        .where(cp.start_on <= as_of, or_(cp.end_on.is_(None), cp.end_on > as_of))
        .where(cp.review_due <= as_of + timedelta(days=horizon_days))
        .order_by(cp.review_due, cp.id)
    )
    if provider:
        stmt = stmt.where(prov.ods_code == provider)
    if team:
        stmt = stmt.where(Team.code == team)
    with _connect(db) as conn:
        rows = conn.execute(stmt).all()
    data = [(*r, (as_of - r.review_due).days, "overdue" if r.review_due < as_of else "due") for r in rows]
    cols = list(zip(*data)) if data else [()] * len(WORKLIST_SCHEMA)
    return pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(cols, WORKLIST_SCHEMA)], schema=WORKLIST_SCHEMA)


def summarise(worklist: pa.Table, by: tuple[str, ...] = ("provider", "team")) -> pa.Table:
    """Counts of due and overdue reviews per group."""
    overdue = pc.equal(worklist["status"], "overdue")
    t = worklist.select(list(by)).append_column("overdue", pc.cast(overdue, pa.int64())).append_column(
        "due", pc.cast(pc.invert(overdue), pa.int64())
    )
    out = t.group_by(list(by)).aggregate([("due", "sum"), ("overdue", "sum")])
    out = out.rename_columns([*by, "due", "overdue"])
    return out.sort_by([(b, "ascending") for b in by])
