import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from openpbr.records import audit


def _chain(db, n=5):
    with db.begin() as c:
        for i in range(n):
            audit.record(c, "S1", "assessment", "assessment", f"C{i}", person=f"SU{i}", ratings=[0] * 18)


def _drop_guard(conn):
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_update")
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
    else:
        conn.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")


def test_intact_chain_verifies(db):
    _chain(db)
    with db.connect() as c:
        rep = audit.verify(c)
    assert rep.ok and rep.checked == 5


def test_update_and_delete_are_refused(db):
    _chain(db, 2)
    for sql in ("UPDATE audit_log SET actor = 'X'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"):
            with db.begin() as c:
                c.execute(text(sql))


TAMPER = [
    ("UPDATE audit_log SET payload = replace(payload, 'SU2', 'SU9') WHERE seq = 3", 3, "altered"),
    ("UPDATE audit_log SET actor = 'S2' WHERE seq = 1", 1, "altered"),
    ("DELETE FROM audit_log WHERE seq = 2", 3, "missing"),
]


@pytest.mark.parametrize("sql, bad_seq, reason", TAMPER)
def test_tampering_is_detected(db, sql, bad_seq, reason):
    _chain(db)
    with db.begin() as c:
        _drop_guard(c)
        c.execute(text(sql))
    with db.connect() as c:
        rep = audit.verify(c)
    assert not rep.ok and rep.first_bad_seq == bad_seq and reason in rep.reason


def test_rehashed_forgery_breaks_the_next_link(db):
    _chain(db)
    with db.connect() as c:
        row = c.execute(audit.AUDIT.select().where(audit.AUDIT.c.seq == 2)).mappings().one()
    forged_payload = row["payload"].replace("SU1", "SU7")
    forged = audit.entry_hash(row["prev_hash"], 2, row["recorded_at"], row["actor"], row["action"], row["entity"],
                              row["entity_id"], forged_payload)
    with db.begin() as c:
        _drop_guard(c)
        c.execute(text("UPDATE audit_log SET payload = :p, hash = :h WHERE seq = 2"), {"p": forged_payload, "h": forged})
    with db.connect() as c:
        rep = audit.verify(c)
    assert not rep.ok and rep.first_bad_seq == 3


def test_removing_the_newest_entries_needs_the_recorded_head(db):
    _chain(db)
    with db.connect() as c:
        head = audit.verify(c).head_hash
    with db.begin() as c:
        _drop_guard(c)
        c.execute(text("DELETE FROM audit_log WHERE seq = 5"))
    with db.connect() as c:
        assert audit.verify(c).ok  # a shorter chain is still a chain
        rep = audit.verify(c, expect_head=head)
    assert not rep.ok and "head" in rep.reason


def test_chain_cannot_fork(db):
    _chain(db, 1)
    with db.connect() as c:
        first = c.execute(text("SELECT hash FROM audit_log WHERE seq = 1")).scalar_one()
    with pytest.raises(DBAPIError):
        with db.begin() as c:  # a second writer that read the same head
            c.execute(audit.AUDIT.insert().values(seq=3, recorded_at=audit._now(), actor="x", action="x", entity="x",
                                                  entity_id="x", payload="{}", prev_hash=audit.GENESIS, hash=first[::-1]))
