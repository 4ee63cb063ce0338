"""What an MHSDS import needs from the database, read in a few queries, and its batched write.

The import checks every row against a :class:`Snapshot`: the stored records
its files refer to plus the rows it has accepted so far. No row needs a query
or a savepoint of its own. Accepted rows carry provisional negative ids;
:func:`write` takes real ids for them the way single inserts would (the
PostgreSQL sequence, SQLite's max(id) + 1), then bulk-loads them table by
table in the order they were accepted, inside the import's transaction. Ids
therefore come out as a row-by-row load would give them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, bindparam, func, select, update

from openpbr.records.bulk import bulk_insert
from openpbr.records.models import (
    ITEM_COLUMNS,
    Assessment,
    CarePackageAssignment,
    ClusterPeriod,
    Discharge,
    Organisation,
    Review,
    ServiceUser,
    Team,
)

CHUNK = 5000  # keys per IN (...): well inside SQLite's and PostgreSQL's parameter limits
ASSESSMENT_FIELDS = ("service_user_id", "team_id", "assessor", "assessed_on", "reason", "clust_cat", "item_08_type", *ITEM_COLUMNS)

# Insert order (foreign keys first), each table with the columns that may hold a provisional id.
TABLES = (
    (Organisation.__table__, ()),
    (Team.__table__, ("provider_id",)),
    (ServiceUser.__table__, ()),
    (Assessment.__table__, ("service_user_id", "team_id")),
    (ClusterPeriod.__table__, ("service_user_id", "assessment_id", "provider_id", "commissioner_id", "team_id")),
    (CarePackageAssignment.__table__, ("service_user_id", "cluster_period_id")),
    (Discharge.__table__, ("service_user_id", "cluster_period_id")),
    (Review.__table__, ("service_user_id", "cluster_period_id", "assessment_id")),
)
REFERENCED = {"organisations", "teams", "service_users", "assessments", "cluster_periods"}  # ids needed later


class StaleRow(RuntimeError):
    """A stored cluster period changed while the import ran."""


def _in(conn: Connection, query, column, keys: Iterable) -> Iterator:
    keys = sorted(set(keys) - {None})
    for i in range(0, len(keys), CHUNK):
        yield from conn.execute(query.where(column.in_(keys[i : i + CHUNK])))


class Snapshot:
    """The stored rows an import touches, plus the rows it accepts, indexed the way the row checks look them up."""

    def __init__(self, conn: Connection, clust_ids: Iterable[str], pseudo_ids: Iterable[str], nhs_numbers: Iterable[str]):
        o, t, su = Organisation.__table__.c, Team.__table__.c, ServiceUser.__table__.c
        a, p = Assessment.__table__, ClusterPeriod.__table__
        self.orgs = {r.ods_code: (r.id, r.role) for r in conn.execute(select(o.id, o.ods_code, o.role))}
        self.teams: dict[str, int] = {}
        self.team_provider: dict[int, int] = {}
        for r in conn.execute(select(t.id, t.code, t.provider_id)):
            self.teams[r.code], self.team_provider[r.id] = r.id, r.provider_id
        people = _in(conn, select(su.id, su.pseudo_id, su.nhs_number), su.pseudo_id, pseudo_ids)
        self.people = {r.pseudo_id: (r.id, r.nhs_number) for r in people}
        self.nhs_held = {r.nhs_number for r in _in(conn, select(su.nhs_number), su.nhs_number, nhs_numbers)}
        cols = [a.c.id, a.c.clust_id, *(a.c[f] for f in ASSESSMENT_FIELDS)]
        self.assessments = {r.clust_id: dict(r._mapping) for r in _in(conn, select(*cols), a.c.clust_id, clust_ids)}
        # Periods by person (overlap check) and by assessment (already stored?).
        found = {r.id: dict(r._mapping) for r in _in(conn, select(p), p.c.service_user_id,
                 {x["service_user_id"] for x in self.assessments.values()} | {x[0] for x in self.people.values()})}
        for r in _in(conn, select(p), p.c.assessment_id, (x["id"] for x in self.assessments.values())):
            found.setdefault(r.id, dict(r._mapping))
        self.periods: dict[tuple, dict] = {}
        self.periods_of: dict[int, list[dict]] = defaultdict(list)
        for row in sorted(found.values(), key=lambda x: x["id"]):
            self._index("cluster_periods", row)
        self.new: dict[str, list[dict]] = defaultdict(list)
        self.updates: list[dict] = []  # stored periods closed by this import
        self._last_id = 0
        self._staged: list[tuple[str, dict]] | None = None

    def add(self, table: str, values: dict) -> int:
        """Queue a row for insertion; return its provisional id."""
        self._last_id -= 1
        values["id"] = self._last_id
        if self._staged is None:
            self._keep(table, values)
        else:
            self._staged.append((table, values))
        return self._last_id

    @contextmanager
    def row(self) -> Iterator[None]:
        """Rows queued inside are kept only if the block ends without an exception (like a savepoint)."""
        self._staged = staged = []
        try:
            yield
        finally:
            self._staged = None
        for table, values in staged:
            self._keep(table, values)

    def _keep(self, table: str, values: dict) -> None:
        self.new[table].append(values)
        self._index(table, values)

    def _index(self, table: str, v: dict) -> None:
        if table == "organisations":
            self.orgs[v["ods_code"]] = (v["id"], v["role"])
        elif table == "teams":
            self.teams[v["code"]], self.team_provider[v["id"]] = v["id"], v["provider_id"]
        elif table == "service_users":
            self.people[v["pseudo_id"]] = (v["id"], v["nhs_number"])
            self.nhs_held.add(v["nhs_number"])
        elif table == "assessments":
            self.assessments[v["clust_id"]] = v
        elif table == "cluster_periods":
            self.periods[(v["assessment_id"], v["start_on"])] = v
            self.periods_of[v["service_user_id"]].append(v)

    def close_period(self, p: dict, end) -> None:
        """End an open period; a stored one is updated under its optimistic lock, as the ORM would."""
        if p["id"] > 0:
            self.updates.append(dict(b_id=p["id"], b_version=p["version"], b_end=end, b_new=p["version"] + 1))
        p["end_on"], p["version"] = end, p["version"] + 1


def write(conn: Connection, snap: Snapshot) -> dict[int, int]:
    """Insert everything queued and close the stored periods; return provisional id -> stored id."""
    real: dict[int, int] = {}
    for table, fks in TABLES:
        if table.name == "cluster_periods":  # close stored periods first: at most one open period per person
            _close_stored(conn, snap.updates)
        rows = snap.new.get(table.name)
        if not rows:
            continue
        cols = [c for c in rows[0] if c != "id"]
        values = [tuple(real.get(r[c], r[c]) if c in fks else r[c] for c in cols) for r in rows]
        if table.name in REFERENCED:
            ids = _new_ids(conn, table, len(rows))
            real.update(zip((r["id"] for r in rows), ids))
            cols, values = ["id", *cols], [(i, *v) for i, v in zip(ids, values)]
        bulk_insert(conn, table, cols, values)
    return real


def _new_ids(conn: Connection, table, n: int) -> list[int]:
    """Ids for ``n`` new rows, the ones the database would hand out to ``n`` single inserts in a row."""
    if conn.dialect.name == "postgresql":  # taken from the sequence, so concurrent writers never get them
        seq = f"pg_get_serial_sequence('{table.name}', 'id')"
        return sorted(conn.exec_driver_sql(f"SELECT nextval({seq}) FROM generate_series(1, {int(n)})").scalars())
    # SQLite gives a new row max(id) + 1. A writer committing in between makes this
    # transaction's insert fail (stale WAL snapshot); it can never share an id.
    first = conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
    return list(range(first, first + n))


def _close_stored(conn: Connection, updates: list[dict]) -> None:
    p = ClusterPeriod.__table__
    stmt = (update(p).where(p.c.id == bindparam("b_id"), p.c.version == bindparam("b_version"))
            .values(end_on=bindparam("b_end"), version=bindparam("b_new")))
    for u in updates:  # one at a time: executemany row counts are not reliable on every driver
        if conn.execute(stmt, u).rowcount != 1:
            raise StaleRow(f"cluster period {u['b_id']} was changed by someone else during the import")
