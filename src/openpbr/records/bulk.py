"""Bulk loading: COPY on PostgreSQL, batched executemany (Core ``insert()``) on SQLite.

Rows are given as tuples in the order of ``columns``; ids are assigned by the
caller, so sequences are moved past them afterwards (:func:`reset_sequences`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, Table, insert

BATCH = 20_000


def bulk_insert(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    if conn.dialect.name == "postgresql":
        return _copy(conn, table, columns, rows)
    n, batch = 0, []
    stmt = insert(table)
    for row in rows:
        batch.append(dict(zip(columns, row)))
        if len(batch) >= BATCH:
            conn.execute(stmt, batch)
            n += len(batch)
            batch = []
    if batch:
        conn.execute(stmt, batch)
        n += len(batch)
    return n


def _copy(conn: Connection, table: Table, columns: Sequence[str], rows: Iterable[tuple]) -> int:
    cols = ", ".join(f'"{c}"' for c in columns)
    n = 0
    raw = conn.connection.driver_connection
    with raw.cursor() as cur, cur.copy(f'COPY "{table.name}" ({cols}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def reset_sequences(conn: Connection, tables: Iterable[Table]) -> None:
    """Move PostgreSQL id sequences past explicitly assigned ids (no-op on SQLite)."""
    if conn.dialect.name != "postgresql":
        return
    for t in tables:
        if "id" not in t.c:
            continue
        conn.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{t.name}', 'id'), COALESCE((SELECT MAX(id) FROM \"{t.name}\"), 0) + 1, false)"
        )
