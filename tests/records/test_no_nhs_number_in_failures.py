"""No NHS number in any failure output: messages, exceptions, rejects files, stdout and stderr, on both databases."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from typer.testing import CliRunner

from openpbr.access import Scope
from openpbr.cli import app
from openpbr.db import make_engine, session_scope
from openpbr.errors import ConflictError, OpenPbRError
from openpbr.records import mhsds
from openpbr.records.mhsds import import_mhsds
from openpbr.services import records as svc

from .test_mhsds_hostile_spec import AS_OF, NHS, _rows, _write


def _assert_clean(*texts: str) -> None:
    for t in texts:
        for n in NHS + ["9990000034", "9990000042"]:
            assert n not in t, "an NHS number appeared in failure output"
            assert f"{n[:3]} {n[3:6]} {n[6:]}" not in t


def test_import_rejects_and_console_name_no_nhs_number(db, tmp_path):
    url = db.url.render_as_string(hide_password=False)
    _write(tmp_path, _rows())
    import_mhsds(db, tmp_path, as_of=AS_OF)
    files = _rows()
    files["MHS801"][0]["LocalPatientId"] = "SU7"  # NHS number already held for SU0: duplicate
    files["MHS801"][1]["NHSNumber"] = NHS[2]  # SU1's NHS number changed: conflict with the stored one
    files["MHS801"][2]["NHSNumber"] = "9990000027"  # bad checksum
    files["MHS801"][2]["BirthYear"] = "9990000034"  # an NHS number in the wrong column
    files["MHS803"][1]["ChosenBy"] = "9990000042"  # and in a column with a length limit
    _write(tmp_path, files)
    rejects = tmp_path / "out" / "rejects.csv"
    result = CliRunner().invoke(
        app, ["records", "import", str(tmp_path), "--db", url, "--rejects", str(rejects), "--as-of", "2024-06-30"],
        env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    body = rejects.read_text()
    assert body.splitlines()[0] == "file,line,field,code,reason" and len(body.splitlines()) >= 4
    _assert_clean(result.stdout, result.stderr, body)


def test_register_conflicts_name_no_nhs_number(db):
    scope = Scope.local_operator("S1")
    with svc.transaction(db) as s:
        svc.register_person(s, scope, person="SU1", nhs_number=NHS[0], birth_year=1970, as_of=AS_OF)
    for kw in (dict(person="SU2", nhs_number=NHS[0]), dict(person="SU3", nhs_number="943 476 5918")):
        with pytest.raises(OpenPbRError) as err:
            with svc.transaction(db) as s:
                svc.register_person(s, scope, birth_year=1970, as_of=AS_OF, **kw)
        _assert_clean(str(err.value), repr(err.value))


def test_two_imports_at_once_name_no_nhs_number(db, tmp_path, monkeypatch):
    """Both imports read before either writes: the loser is a ConflictError naming no NHS number."""
    url = db.url.render_as_string(hide_password=False)
    _write(tmp_path, _rows())
    barrier = threading.Barrier(2, timeout=30)
    original = mhsds.write

    def write_after_both_read(conn, snap):
        barrier.wait()
        return original(conn, snap)

    monkeypatch.setattr(mhsds, "write", write_after_both_read)
    outcomes = []

    def run():
        engine = make_engine(url)
        try:
            outcomes.append(import_mhsds(engine, tmp_path, as_of=AS_OF))
        except Exception as exc:  # noqa: BLE001
            outcomes.append(exc)
        finally:
            engine.dispose()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    errors = [o for o in outcomes if isinstance(o, Exception)]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    assert isinstance(errors[0], ConflictError), repr(errors[0])
    _assert_clean(str(errors[0]), repr(errors[0]))
    with session_scope(db) as s:
        from sqlalchemy import text

        assert s.execute(text("SELECT count(*) FROM service_users")).scalar_one() == 3
    # and the CLI's line for it
    monkeypatch.setattr(mhsds, "write", original)
    assert date.today() >= AS_OF
