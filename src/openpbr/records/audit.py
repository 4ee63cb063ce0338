"""Append-only, hash-chained audit trail.

Each entry's hash is SHA-256 over the previous entry's hash and the entry's
own fields (canonical JSON). Changing, deleting or re-ordering any stored
entry breaks every later link, which :func:`verify` reports. Deleting the
newest entries (or emptying the table) would leave a shorter valid chain, so
the database also keeps ``audit_head``: the newest entry's sequence number and
hash, moved forward by a trigger on every append and refusing to move back or
be deleted. :func:`verify` checks the chain ends exactly there. ``expect_head``
(a head hash recorded elsewhere) remains as a further, outside check.

The triggers refuse UPDATE, DELETE and (PostgreSQL) TRUNCATE of the log for
the application's role; docs/records.md gives the database roles that keep the
application from dropping them.

Entries are written in the same transaction as the change they describe, so
an entry exists exactly when its change was committed. Payloads carry
pseudonymous ids only, never NHS numbers.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Iterable

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from openpbr.records.models import AuditEntry, AuditHead

GENESIS = "0" * 64
AUDIT = AuditEntry.__table__
HEAD = AuditHead.__table__
_PG_CHAIN_LOCK = 7_201_001  # advisory lock id: one appender at a time on PostgreSQL


def canonical(payload: Any) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)


def entry_hash(prev_hash: str, seq: int, recorded_at: datetime, actor: str, action: str, entity: str, entity_id: str, payload: str) -> str:
    body = canonical([seq, recorded_at.isoformat(), actor, action, entity, entity_id, payload])
    return hashlib.sha256(f"{prev_hash}|{body}".encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Event:
    actor: str
    action: str  # assessment, allocation, override, review, discharge, reference_change, import, ...
    entity: str
    entity_id: str
    payload: dict[str, Any]


def _conn(db: Session | Connection) -> Connection:
    return db.connection() if isinstance(db, Session) else db


def _head(conn: Connection) -> tuple[int, str]:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_PG_CHAIN_LOCK})")
    row = conn.execute(select(AUDIT.c.seq, AUDIT.c.hash).order_by(AUDIT.c.seq.desc()).limit(1)).first()
    return (row.seq, row.hash) if row else (0, GENESIS)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def append_many(db: Session | Connection, events: Iterable[Event], recorded_at: datetime | None = None) -> str:
    """Append events in order; return the new head hash."""
    conn = _conn(db)
    seq, prev = _head(conn)
    at = recorded_at or _now()
    rows = []
    for ev in events:
        seq += 1
        payload = canonical(ev.payload)
        h = entry_hash(prev, seq, at, ev.actor, ev.action, ev.entity, str(ev.entity_id), payload)
        rows.append(dict(seq=seq, recorded_at=at, actor=ev.actor, action=ev.action, entity=ev.entity,
                         entity_id=str(ev.entity_id), payload=payload, prev_hash=prev, hash=h))
        prev = h
    for i in range(0, len(rows), 5000):
        conn.execute(insert(AUDIT), rows[i : i + 5000])
    return prev


def record(db: Session | Connection, actor: str, action: str, entity: str, entity_id: object, **payload: Any) -> str:
    """Append one event; return its hash."""
    return append_many(db, [Event(actor, action, entity, str(entity_id), payload)])


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    checked: int
    head_hash: str
    first_bad_seq: int | None = None
    reason: str = ""


def verify(db: Session | Connection, expect_head: str | None = None, batch: int = 20_000) -> ChainReport:
    """Walk the whole chain in order and report the first broken link, if any."""
    conn = _conn(db)
    prev, expected_seq, checked = GENESIS, 1, 0
    cols = [AUDIT.c[n] for n in ("seq", "recorded_at", "actor", "action", "entity", "entity_id", "payload", "prev_hash", "hash")]
    result = conn.execution_options(yield_per=batch).execute(select(*cols).order_by(AUDIT.c.seq))
    for r in result:
        if r.seq != expected_seq:
            return ChainReport(False, checked, prev, r.seq, f"entry {expected_seq} is missing (next stored is {r.seq})")
        if r.prev_hash != prev:
            return ChainReport(False, checked, prev, r.seq, "link to the previous entry is broken (entry removed or re-ordered)")
        h = entry_hash(r.prev_hash, r.seq, r.recorded_at, r.actor, r.action, r.entity, r.entity_id, r.payload)
        if h != r.hash:
            return ChainReport(False, checked, prev, r.seq, "entry content does not match its hash (entry altered)")
        prev, expected_seq, checked = r.hash, expected_seq + 1, checked + 1
    anchor = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).first()
    if anchor is None:
        return ChainReport(False, checked, prev, None, "the audit head anchor is missing (log or anchor tampered with)")
    if (anchor.seq, anchor.hash) != (checked, prev):
        if anchor.seq > checked:
            reason = f"entries {checked + 1} to {anchor.seq} are missing: the log was truncated or its newest entries removed"
        else:
            reason = "chain ends at a different entry than the audit head anchor records (log rewritten?)"
        return ChainReport(False, checked, prev, checked + 1 if anchor.seq > checked else None, reason)
    if expect_head is not None and expect_head != prev:
        return ChainReport(False, checked, prev, None, "chain ends at a different head than expected (newest entries removed?)")
    return ChainReport(True, checked, prev)
