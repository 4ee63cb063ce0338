"""The records commands as a user meets them: one line for every mistake, nothing half-written."""

from __future__ import annotations

import pytest

from openpbr.records import mhsds

from ..cli.helpers import assert_clean, run_main

RATINGS = "0,0,0,0,0,0,2,2,1,1,1,1,0,0,0,0,1,0"


def _url(engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_mistyped_database_is_one_line_and_leaves_no_file(tmp_path):
    typo = tmp_path / "openpbr-typo.sqlite"
    args = ("records", "worklist", "--db", f"sqlite:///{typo}")
    res = run_main(*args)
    assert_clean(res, args, expect={4})
    assert "no database at" in res.err and not typo.exists()


def test_uninitialised_database_is_one_line(tmp_path):
    import sqlite3

    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    args = ("records", "my-care", "SU1", "--db", f"sqlite:///{empty}")
    res = run_main(*args)
    assert_clean(res, args, expect={4})
    assert "not initialised" in res.err


def test_worklist_out_into_a_missing_folder(trust, tmp_path):
    out = tmp_path / "new" / "folder" / "worklist.csv"
    args = ("records", "worklist", "--as-of", "2022-06-30", "--out", str(out), "--db", _url(trust))
    res = run_main(*args)
    assert_clean(res, args, expect={0})
    assert out.read_text().startswith("person,provider,commissioner,team,")


@pytest.mark.parametrize("option", ["--on", "--as-of"])
def test_bad_dates_are_one_line(one_person, option):
    cmd = ("records", "assess", "--person", "SU1", "--ratings", RATINGS, "--clust-id", "A1", "--assessor", "S1",
           "--provider", "RAA", "--commissioner", "01A", "--on", "31/01/2024", "--db", _url(one_person))
    if option == "--as-of":
        cmd = ("records", "worklist", "--as-of", "2024-02-30", "--db", _url(one_person))
    res = run_main(*cmd)
    assert_clean(res, cmd, expect={2})
    assert "YYYY-MM-DD" in res.text


def test_repeated_clust_id_is_one_line(one_person):
    cmd = ["records", "assess", "--person", "SU1", "--ratings", RATINGS, "--clust-id", "A1", "--assessor", "S1",
           "--provider", "RAA", "--commissioner", "01A", "--team", "RAA-T1", "--db", _url(one_person)]
    first = run_main(*cmd, "--on", "2023-01-10")
    assert_clean(first, cmd, expect={0})
    again = run_main(*cmd, "--on", "2023-03-10")
    assert_clean(again, cmd, expect={2})
    assert "assessment id A1 is already recorded" in again.err and "IntegrityError" not in again.text
    same_day = run_main(*[c if c != "A1" else "A2" for c in cmd], "--on", "2023-01-10")
    assert_clean(same_day, cmd, expect={3})
    assert "someone else changed this person's cluster period" in same_day.err


def test_unknown_person_is_not_found(one_person):
    cmd = ("records", "my-care", "SU404", "--db", _url(one_person))
    res = run_main(*cmd)
    assert_clean(res, cmd, expect={5})


def test_export_into_a_missing_folder_and_a_failed_export_leaves_no_file(trust, tmp_path, monkeypatch):
    folder = tmp_path / "exports" / "today"
    cmd = ("records", "export", str(folder), "--db", _url(trust))
    assert_clean(run_main(*cmd), cmd, expect={0})
    assert sorted(p.name for p in folder.iterdir()) == ["MHS801.csv", "MHS802.csv", "MHS803.csv"]

    broken = tmp_path / "broken"
    calls = {"n": 0}
    real = mhsds.excel_safe

    def dies_mid_way(v):
        calls["n"] += 1
        if calls["n"] > 500:
            raise OSError(28, "No space left on device")
        return real(v)

    monkeypatch.setattr(mhsds, "excel_safe", dies_mid_way)
    res = run_main("records", "export", str(broken), "--db", _url(trust))
    assert_clean(res, cmd, expect={2})
    assert list(broken.iterdir()) == []  # no half-written file, not even a temporary one


def test_verify_reports_a_shortened_log_without_being_told_the_head(trust):
    from sqlalchemy import text

    cmd = ("records", "verify", "--db", _url(trust))
    assert_clean(run_main(*cmd), cmd, expect={0})
    with trust.begin() as c:  # someone able to drop the guard removes the newest entry
        if c.dialect.name == "sqlite":
            c.exec_driver_sql("DROP TRIGGER audit_log_no_delete")
        else:
            c.exec_driver_sql("DROP TRIGGER audit_log_no_change ON audit_log")
        c.execute(text("DELETE FROM audit_log WHERE seq = (SELECT max(seq) FROM audit_log)"))
    res = run_main(*cmd)
    assert_clean(res, cmd, expect={1})
    assert "Audit chain broken" in res.out and "newest entries removed" in res.out
