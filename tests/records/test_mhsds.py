import csv
from datetime import date

import pytest
from sqlalchemy import func, select, text

from openpbr.clustering.ratings import ITEM_CODES as ITEMS
from openpbr.records import mhsds
from openpbr.records.mhsds import ImportFailed, export_mhsds, import_mhsds
from openpbr.records.models import Base

RATINGS = (0, 0, 0, 0, 0, 0, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0)
AS_OF = date(2026, 1, 1)
NHS = ["9434765919", "9990000018", "9990000026", "9990000034"]


def _write(folder, rows801, rows802, rows803):
    for name, cols, rows in (("MHS801", mhsds.MHS801, rows801), ("MHS802", mhsds.MHS802, rows802), ("MHS803", mhsds.MHS803, rows803)):
        with (folder / f"{name}.csv").open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(rows)


def _files(folder, n=4):
    r801, r802, r803 = [], [], []
    for i in range(n):
        cid = f"C{i}"
        r801.append(dict(ClustId=cid, LocalPatientId=f"SU{i}", NHSNumber=NHS[i], BirthYear="1970", OrgIDProv="RAA",
                         CareProfTeamLocalId="RAA-T1", CareProfLocalId="S1", AssToolCompDate="2023-01-10",
                         ClustCat="01", ClustToolAssReason="initial"))
        r802 += [dict(ClustId=cid, CodedAssToolType=c, PersScore=str(v), ProblemType="B" if c == "item_08" else "")
                 for c, v in zip(ITEMS, RATINGS)]
        r803.append(dict(ClustId=cid, StartDateCareClust="2023-01-10", EndDateCareClust="", AMHCareClustCodeFin="03",
                         OrgIDComm="01A", ChosenBy="S1"))
    _write(folder, r801, r802, r803)
    return r801, r802, r803


def _counts(db):
    with db.connect() as c:
        return {t.name: c.execute(select(func.count()).select_from(t)).scalar_one()
                for t in Base.metadata.sorted_tables if t.name not in ("alembic_version", "audit_head") and not t.name.startswith(("payment", "pay_", "outcome"))}


def test_import_then_reimport_changes_nothing(db, tmp_path):
    _files(tmp_path)
    first = import_mhsds(db, tmp_path, as_of=AS_OF)
    assert first.errors == [] and first.inserted["MHS801"] == 4 and first.inserted["MHS803"] == 4
    before = _counts(db)
    again = import_mhsds(db, tmp_path, as_of=AS_OF)
    assert again.changed == 0 and again.unchanged["MHS801"] == 4 and again.unchanged["MHS803"] == 4
    assert _counts(db) == before  # not even an audit entry


def test_bad_rows_are_reported_and_good_rows_load(db, tmp_path):
    r801, r802, r803 = _files(tmp_path)
    r801[1]["NHSNumber"] = "9434765918"  # line 3 of MHS801
    r802[2 * 18 + 4]["PersScore"] = "7"  # C2 item_05, line 2 + 40 = 42
    r803[3]["AMHCareClustCodeFin"] = "09"  # line 5 of MHS803
    _write(tmp_path, r801, r802, r803)
    rep = import_mhsds(db, tmp_path, as_of=AS_OF)
    got = [(e.file, e.line, e.field) for e in rep.errors]
    assert ("MHS801", 3, "NHSNumber") in got
    assert ("MHS802", 42, "PersScore") in got
    assert ("MHS801", 4, "ClustId") in got  # C2 lost a rating, so its assessment is refused
    assert ("MHS803", 5, "AMHCareClustCodeFin") in got
    assert any("checksum" in e.reason for e in rep.errors)
    assert rep.inserted["MHS801"] == 2 and rep.inserted["MHS803"] == 1
    with db.connect() as c:
        assert c.execute(text("SELECT count(*) FROM service_users")).scalar_one() == 2


def test_failed_import_leaves_no_trace(db, tmp_path, monkeypatch):
    _files(tmp_path)
    before = _counts(db)

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(mhsds.audit, "append_many", boom)
    with pytest.raises(ImportFailed, match="nothing was written"):
        import_mhsds(db, tmp_path, as_of=AS_OF)
    assert _counts(db) == before


def test_missing_file_or_column_fails_before_writing(db, tmp_path):
    _files(tmp_path)
    (tmp_path / "MHS803.csv").unlink()
    with pytest.raises(ImportFailed, match="MHS803"):
        import_mhsds(db, tmp_path, as_of=AS_OF)
    _files(tmp_path)
    (tmp_path / "MHS802.csv").write_text("ClustId,Score\n")
    with pytest.raises(ImportFailed, match="missing required column"):
        import_mhsds(db, tmp_path, as_of=AS_OF)
    assert sum(_counts(db).values()) == 0


def test_trust_export_reimports_as_unchanged(trust, tmp_path):
    counts = export_mhsds(trust, tmp_path)
    assert counts["MHS802"] == counts["MHS801"] * 18
    before = _counts(trust)
    rep = import_mhsds(trust, tmp_path, as_of=AS_OF)
    assert rep.errors == [] and rep.changed == 0
    assert rep.unchanged["MHS801"] == counts["MHS801"] and rep.unchanged["MHS803"] == counts["MHS803"]
    assert _counts(trust) == before


def test_later_file_may_close_an_open_period(db, tmp_path):
    r801, r802, r803 = _files(tmp_path, 1)
    import_mhsds(db, tmp_path, as_of=AS_OF)
    r803[0].update(EndDateCareClust="2023-03-01", EndReason="discharge")
    _write(tmp_path, r801, r802, r803)
    rep = import_mhsds(db, tmp_path, as_of=AS_OF)
    assert rep.updated["MHS803"] == 1 and rep.errors == []
    with db.connect() as c:
        assert c.execute(text("SELECT count(*) FROM discharges")).scalar_one() == 1
    assert import_mhsds(db, tmp_path, as_of=AS_OF).changed == 0


def test_import_command_writes_every_rejected_row(db, tmp_path):
    from typer.testing import CliRunner

    from openpbr.cli import app

    r801, r802, r803 = _files(tmp_path)
    r801[1]["NHSNumber"] = "9434765918"
    _write(tmp_path, r801, r802, r803)
    rejects = tmp_path / "rejects.csv"
    url = db.url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["records", "import", str(tmp_path), "--db", url, "--rejects", str(rejects)])
    assert result.exit_code == 1
    rows = list(csv.DictReader(rejects.open()))
    assert ("MHS801", "3", "NHSNumber") in {(r["file"], r["line"], r["field"]) for r in rows}
    assert "9434765918" not in rejects.read_text(), "a rejected NHS number is never echoed"


def _periods(engine):
    """Cluster periods with their package, review and discharge, keyed by (ClustId, start)."""
    from openpbr.records.models import Assessment as A, CarePackageAssignment as K, ClusterPeriod as P, Discharge as D, Review as R

    q = (select(A.clust_id, P.start_on, P.end_on, P.chosen_cluster, P.suggested_cluster, P.fit, P.red_rule_breach,
                P.chosen_by, P.override_reason, P.transition_reason, P.review_due, K.package_key, K.package_ref,
                K.cost_per_cluster_day, K.start_on.label("k_start"), K.end_on.label("k_end"), R.due_on, R.reviewed_on,
                R.late, D.discharged_on, D.from_cluster)
         .join(A, A.id == P.assessment_id).outerjoin(K, K.cluster_period_id == P.id)
         .outerjoin(R, R.cluster_period_id == P.id).outerjoin(D, D.cluster_period_id == P.id))
    with engine.connect() as c:
        rows = [r._asdict() for r in c.execute(q)]
    for r in rows:
        r["fit"] = None if r["fit"] is None else round(r["fit"], 3)  # the export writes three decimals
    return {(r.pop("clust_id"), r.pop("start_on")): r for r in rows}


def test_trust_export_loads_into_an_empty_database(db, small_size, tmp_path):
    from openpbr.db import make_engine, upgrade
    from openpbr.records.audit import verify
    from openpbr.records.generate import generate_trust

    source_url = f"sqlite:///{tmp_path / 'source.sqlite'}"
    upgrade(source_url)
    source = make_engine(source_url)
    generate_trust(source, seed=11, size=small_size)
    counts = export_mhsds(source, tmp_path / "files")
    rep = import_mhsds(db, tmp_path / "files", as_of=AS_OF)
    assert rep.errors == [] and rep.unchanged == {} and rep.updated == {}
    assert rep.inserted == {"service_users": small_size.people, "MHS801": counts["MHS801"], "MHS803": counts["MHS803"]}

    want, got = _periods(source), _periods(db)
    source.dispose()
    assert any(w["reviewed_on"] for w in want.values()) and any(w["discharged_on"] for w in want.values())
    # Periods, fit, red-rule flag, review due dates, packages, reviews (due, done, late) and discharges all survive.
    assert got == want

    with db.connect() as c:
        n_audit = c.execute(text("SELECT count(*) FROM audit_log")).scalar_one()
        assert verify(c).ok
    ended = sum(1 for w in want.values() if w["end_on"] is not None)  # each ended period: one review or discharge
    overrides = sum(1 for w in want.values() if w["override_reason"])
    assert n_audit == counts["MHS801"] + counts["MHS803"] + overrides + ended + 1  # + the import itself
    before = _counts(db)
    assert import_mhsds(db, tmp_path / "files", as_of=AS_OF).changed == 0 and _counts(db) == before


def test_rejected_row_leaves_no_organisation_or_team_for_later_rows(db, tmp_path):
    r801, r802, r803 = _files(tmp_path, 2)
    import_mhsds(db, tmp_path, as_of=AS_OF)
    # Line 3 names a new provider and team but is refused (SU1's NHS number differs); line 4 uses them too.
    r801[1].update(ClustId="C9", NHSNumber=NHS[2], OrgIDProv="NEW1", CareProfTeamLocalId="NEW1-T1")
    r801.append(dict(r801[0], ClustId="C8", LocalPatientId="SU8", NHSNumber=NHS[3], OrgIDProv="NEW1", CareProfTeamLocalId="NEW1-T1"))
    r802 += [dict(r, ClustId=cid) for cid in ("C9", "C8") for r in r802[:18]]
    _write(tmp_path, r801, r802, r803)
    rep = import_mhsds(db, tmp_path, as_of=AS_OF)
    assert [(e.file, e.line, e.field) for e in rep.errors] == [("MHS801", 3, "NHSNumber")]
    assert rep.inserted == {"service_users": 1, "MHS801": 1}
    with db.connect() as c:
        q = text("SELECT t.code FROM teams t JOIN organisations o ON o.id = t.provider_id WHERE o.ods_code = 'NEW1'")
        assert c.execute(q).scalars().all() == ["NEW1-T1"]
