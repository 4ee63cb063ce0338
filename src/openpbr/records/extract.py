"""Read API for payment and outcomes: column-oriented extracts for a date range.

Every function takes ``db`` (an Engine, a Connection or a database URL) and
returns a ``pyarrow.Table``; dates are ``date32``, clusters 2-char strings,
people their pseudonymous id (``person``), organisations their ODS code.
These signatures are a contract: add columns, never remove or rename them.

Date ranges are inclusive: ``start <= day <= end``. A cluster period covers
the days ``start_on <= day < end_on`` (``end_on`` null while open).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pyarrow as pa
from sqlalchemy import Connection, Engine, and_, or_, select
from sqlalchemy.orm import aliased

from openpbr.db import make_engine
from openpbr.records.models import (
    ITEM_COLUMNS,
    Assessment,
    ClusterPeriod,
    Discharge,
    Organisation,
    Review,
    ServiceUser,
    Team,
)

Db = Engine | Connection | str

PERIOD_SCHEMA = pa.schema([
    ("period_id", pa.int64()), ("person", pa.string()), ("provider", pa.string()), ("commissioner", pa.string()),
    ("team", pa.string()), ("cluster", pa.string()), ("start_on", pa.date32()), ("end_on", pa.date32()),
    ("suggested_cluster", pa.string()), ("fit", pa.float64()), ("red_rule_breach", pa.bool_()),
    ("overridden", pa.bool_()), ("review_due", pa.date32()), ("clust_id", pa.string()),
])
ASSESSMENT_SCHEMA = pa.schema([
    ("clust_id", pa.string()), ("person", pa.string()), ("provider", pa.string()), ("team", pa.string()),
    ("assessor", pa.string()), ("assessed_on", pa.date32()), ("reason", pa.string()), ("item_08_type", pa.string()),
    *((c, pa.int8()) for c in ITEM_COLUMNS),
])
REVIEW_SCHEMA = pa.schema([
    ("period_id", pa.int64()), ("person", pa.string()), ("provider", pa.string()), ("commissioner", pa.string()),
    ("team", pa.string()), ("cluster", pa.string()), ("due_on", pa.date32()), ("reviewed_on", pa.date32()),
    ("reviewed_by", pa.string()), ("done", pa.bool_()), ("late", pa.bool_()),
])
DISCHARGE_SCHEMA = pa.schema([
    ("person", pa.string()), ("provider", pa.string()), ("commissioner", pa.string()), ("team", pa.string()),
    ("from_cluster", pa.string()), ("period_start_on", pa.date32()), ("discharged_on", pa.date32()),
])
ACCOMMODATION_SCHEMA = pa.schema([
    ("person", pa.string()), ("settled_accommodation", pa.bool_()), ("recorded_on", pa.date32()),
])


@contextmanager
def _connect(db: Db) -> Iterator[Connection]:
    if isinstance(db, Connection):
        yield db
        return
    engine = db if isinstance(db, Engine) else make_engine(db)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        if not isinstance(db, Engine):
            engine.dispose()


def _table(conn: Connection, stmt, schema: pa.Schema) -> pa.Table:
    rows = conn.execute(stmt).all()
    columns = list(zip(*rows)) if rows else [()] * len(schema)
    return pa.Table.from_arrays([pa.array(list(col), type=f.type) for col, f in zip(columns, schema)], schema=schema)


def _period_joins():
    prov, comm = aliased(Organisation), aliased(Organisation)
    cp = ClusterPeriod
    cols = (
        cp.id, ServiceUser.pseudo_id, prov.ods_code, comm.ods_code, Team.code, cp.chosen_cluster, cp.start_on, cp.end_on,
    )
    frm = (
        select()
        .select_from(cp)
        .join(ServiceUser, ServiceUser.id == cp.service_user_id)
        .join(prov, prov.id == cp.provider_id)
        .join(comm, comm.id == cp.commissioner_id)
        .outerjoin(Team, Team.id == cp.team_id)
    )
    return cols, frm, prov, comm


def _org_filter(stmt, prov, comm, provider: str | None, commissioner: str | None):
    if provider:
        stmt = stmt.where(prov.ods_code == provider)
    if commissioner:
        stmt = stmt.where(comm.ods_code == commissioner)
    return stmt


def cluster_periods(db: Db, start: date, end: date, *, provider: str | None = None, commissioner: str | None = None) -> pa.Table:
    """Cluster periods overlapping ``[start, end]`` (schema ``PERIOD_SCHEMA``).

    ``overridden`` is true when the chosen cluster differs from the suggestion;
    ``red_rule_breach`` when the chosen cluster breaks a red rule.
    """
    cp = ClusterPeriod
    cols, frm, prov, comm = _period_joins()
    stmt = (
        frm.add_columns(*cols, cp.suggested_cluster, cp.fit, cp.red_rule_breach,
                        or_(cp.suggested_cluster.is_(None), cp.suggested_cluster != cp.chosen_cluster),
                        cp.review_due, Assessment.clust_id)
        .join(Assessment, Assessment.id == cp.assessment_id)
        .where(cp.start_on <= end, or_(cp.end_on.is_(None), cp.end_on > start))
        .order_by(cp.id)
    )
    with _connect(db) as conn:
        return _table(conn, _org_filter(stmt, prov, comm, provider, commissioner), PERIOD_SCHEMA)


def assessments(db: Db, start: date, end: date, *, provider: str | None = None) -> pa.Table:
    """MHCT assessments completed in ``[start, end]`` with their 18 ratings (9 = not known)."""
    a = Assessment
    prov = aliased(Organisation)
    stmt = (
        select(a.clust_id, ServiceUser.pseudo_id, prov.ods_code, Team.code, a.assessor, a.assessed_on, a.reason,
               a.item_08_type, *(a.__table__.c[c] for c in ITEM_COLUMNS))
        .join(ServiceUser, ServiceUser.id == a.service_user_id)
        .outerjoin(Team, Team.id == a.team_id)
        .outerjoin(prov, prov.id == Team.provider_id)
        .where(a.assessed_on.between(start, end))
        .order_by(a.id)
    )
    if provider:
        stmt = stmt.where(prov.ods_code == provider)
    with _connect(db) as conn:
        return _table(conn, stmt, ASSESSMENT_SCHEMA)


def reviews(db: Db, start: date, end: date, *, provider: str | None = None, commissioner: str | None = None) -> pa.Table:
    """Reviews falling due or done in ``[start, end]``.

    One row per cluster period whose review fell due in the range while it was
    still open, or whose review was done in the range. ``done`` is false when
    no review is recorded; ``late`` is true when done after the due date, or
    not done and the due date is before ``end``.
    """
    cp = ClusterPeriod
    cols, frm, prov, comm = _period_joins()
    due_in_range = and_(cp.review_due.between(start, end), or_(cp.end_on.is_(None), cp.end_on > cp.review_due))
    stmt = (
        frm.add_columns(*cols[:6], cp.review_due, Review.reviewed_on, Review.reviewed_by)
        .outerjoin(Review, Review.cluster_period_id == cp.id)
        .where(cp.review_due.is_not(None), or_(due_in_range, Review.reviewed_on.between(start, end)))
        .order_by(cp.id)
    )
    stmt = _org_filter(stmt, prov, comm, provider, commissioner)
    with _connect(db) as conn:
        rows = conn.execute(stmt).all()
    data = [
        (*r[:7], r.reviewed_on, r.reviewed_by, r.reviewed_on is not None,
         (r.reviewed_on > r.review_due) if r.reviewed_on is not None else (r.review_due < end))
        for r in rows
    ]
    columns = list(zip(*data)) if data else [()] * len(REVIEW_SCHEMA)
    return pa.Table.from_arrays([pa.array(list(c), type=f.type) for c, f in zip(columns, REVIEW_SCHEMA)], schema=REVIEW_SCHEMA)


def discharges(db: Db, start: date, end: date, *, provider: str | None = None, commissioner: str | None = None) -> pa.Table:
    """Discharges in ``[start, end]`` with the cluster each person left."""
    cp = ClusterPeriod
    cols, frm, prov, comm = _period_joins()
    stmt = (
        frm.add_columns(cols[1], cols[2], cols[3], cols[4], Discharge.from_cluster, cp.start_on, Discharge.discharged_on)
        .join(Discharge, Discharge.cluster_period_id == cp.id)
        .where(Discharge.discharged_on.between(start, end))
        .order_by(Discharge.id)
    )
    with _connect(db) as conn:
        return _table(conn, _org_filter(stmt, prov, comm, provider, commissioner), DISCHARGE_SCHEMA)


def settled_accommodation(db: Db, as_of: date) -> pa.Table:
    """Latest recorded settled-accommodation status per person, where recorded on or before ``as_of``.

    ACC54 counts only statuses recorded in the 12 months before the reporting
    period end: filter on ``recorded_on`` for that.
    """
    su = ServiceUser
    stmt = (
        select(su.pseudo_id, su.settled_accommodation, su.accommodation_recorded_on)
        .where(su.settled_accommodation.is_not(None), su.accommodation_recorded_on <= as_of)
        .order_by(su.id)
    )
    with _connect(db) as conn:
        return _table(conn, stmt, ACCOMMODATION_SCHEMA)


__all__ = ["cluster_periods", "assessments", "reviews", "discharges", "settled_accommodation"]
