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


def test_removing_the_newest_entries_is_detected_without_the_head(db):
    _chain(db)
    with db.begin() as c:
        _drop_guard(c)
        c.execute(text("DELETE FROM audit_log WHERE seq >= 4"))
    with db.connect() as c:
        rep = audit.verify(c)
    assert not rep.ok and rep.checked == 3 and rep.first_bad_seq == 4 and "entries 4 to 5 are missing" in rep.reason


def test_an_emptied_log_does_not_verify_as_intact(db):
    _chain(db)
    with db.begin() as c:
        _drop_guard(c)
        if c.dialect.name == "postgresql":
            c.exec_driver_sql("DROP TRIGGER audit_log_no_truncate ON audit_log")
            c.exec_driver_sql("TRUNCATE audit_log")
        else:
            c.exec_driver_sql("DELETE FROM audit_log")
    with db.connect() as c:
        rep = audit.verify(c)
    assert not rep.ok and rep.checked == 0 and "truncated" in rep.reason


def test_truncate_is_refused(db):
    _chain(db, 2)
    if db.dialect.name == "sqlite":  # no TRUNCATE in SQLite: emptying a table is a DELETE, refused
        sql = "DELETE FROM audit_log"
    else:
        sql = "TRUNCATE audit_log"
    with pytest.raises(DBAPIError, match="append-only"):
        with db.begin() as c:
            c.exec_driver_sql(sql)
    with db.connect() as c:
        assert audit.verify(c).ok and audit.verify(c).checked == 2


@pytest.mark.parametrize("sql", ["UPDATE audit_head SET seq = 1", "DELETE FROM audit_head",
                                 "INSERT INTO audit_head (id, seq, hash) VALUES (2, 9, 'x')", "TRUNCATE audit_head"])
def test_head_anchor_only_moves_forward(db, sql):
    _chain(db, 3)
    if sql.startswith("TRUNCATE") and db.dialect.name == "sqlite":
        pytest.skip("SQLite has no TRUNCATE")
    with pytest.raises(DBAPIError):
        with db.begin() as c:
            c.exec_driver_sql(sql)
    with db.connect() as c:
        assert c.exec_driver_sql("SELECT seq FROM audit_head").scalar_one() == 3


def test_fresh_database_verifies_with_zero_entries(db):
    with db.connect() as c:
        rep = audit.verify(c)
    assert rep.ok and rep.checked == 0


def test_the_recorded_head_is_still_checked(db):
    _chain(db)
    with db.connect() as c:
        rep = audit.verify(c, expect_head="f" * 64)
    assert not rep.ok and "head" in rep.reason


def test_chain_cannot_fork(db):
    _chain(db, 1)
    with db.connect() as c:
        first = c.execute(text("SELECT hash FROM audit_log WHERE seq = 1")).scalar_one()
    with pytest.raises(Exception):
        with db.begin() as c:  # a second writer that read the same head
            c.execute(audit.AUDIT.insert().values(seq=3, recorded_at=audit._now(), actor="x", action="x", entity="x",
                                                  entity_id="x", payload="{}", prev_hash=audit.GENESIS, hash=first[::-1]))
