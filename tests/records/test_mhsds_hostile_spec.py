"""Hostile-input spec table for the MHSDS door: each bad value is one row-level reject with a named code.

Every case writes three good people, spoils one value of the second, imports on
SQLite and PostgreSQL, and expects: exactly that row rejected (file, line,
field, code), the other rows stored, no traceback, no NHS number in any message.
"""

from __future__ import annotations

import csv
from datetime import date

import pytest
from sqlalchemy import text

from openpbr.clustering.ratings import ITEM_CODES
from openpbr.records import mhsds
from openpbr.records.mhsds import import_mhsds

AS_OF = date(2024, 6, 30)
RATINGS = (0, 0, 0, 0, 0, 0, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0)
NHS = ["9434765919", "9990000018", "9990000026"]
ARABIC_NHS = "".join(chr(0x0660 + int(d)) for d in NHS[1])  # the same number in Arabic-Indic digits


def _rows():
    r801, r802, r803 = [], [], []
    for i in range(3):
        cid = f"C{i}"
        r801.append(dict(ClustId=cid, LocalPatientId=f"SU{i}", NHSNumber=NHS[i], BirthYear="1970", OrgIDProv="RAA",
                         CareProfTeamLocalId="RAA-T1", CareProfLocalId="S1", AssToolCompDate="2024-01-10",
                         ClustCat="01", ClustToolAssReason="initial"))
        r802 += [dict(ClustId=cid, CodedAssToolType=c, PersScore=str(v), ProblemType="B" if c == "item_08" else "")
                 for c, v in zip(ITEM_CODES, RATINGS)]
        r803.append(dict(ClustId=cid, StartDateCareClust="2024-01-10", EndDateCareClust="", AMHCareClustCodeFin="03",
                         OrgIDComm="01A", ChosenBy="S1"))
    return {"MHS801": r801, "MHS802": r802, "MHS803": r803}


def _write(folder, files, raw: dict[str, bytes] | None = None):
    for name, cols in (("MHS801", mhsds.MHS801), ("MHS802", mhsds.MHS802), ("MHS803", mhsds.MHS803)):
        path = folder / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as f:
            w = csv.DictWriter(f, fieldnames=cols)
            w.writeheader()
            w.writerows(files[name])
    for name, (old, new) in (raw or {}).items():  # byte-level spoiling (encodings, NUL)
        path = folder / f"{name}.csv"
        path.write_bytes(path.read_bytes().replace(old, new, 1))


# (id, file, row index, field, bad value, expected code); line = index + 2. C1 is row 1 in MHS801/MHS803.
CASES = [
    ("nul-byte", "MHS801", 1, "CareProfLocalId", "S\x001", "NUL_BYTE"),
    ("one-megabyte-field", "MHS801", 1, "CareProfLocalId", "x" * 1_000_000, "FIELD_TOO_LONG"),
    ("over-long-code", "MHS801", 1, "ClustCat", "0001", "TOO_LONG_CODE"),
    ("over-long-person-id", "MHS801", 1, "LocalPatientId", "P" * 21, "TOO_LONG_CODE"),
    ("over-long-staff-code", "MHS803", 1, "ChosenBy", "S" * 41, "TOO_LONG_CODE"),
    ("superscript-digit", "MHS801", 1, "BirthYear", "197\u00b9", "NON_ASCII_DIGITS"),
    ("arabic-indic-nhs-number", "MHS801", 1, "NHSNumber", ARABIC_NHS, "NON_ASCII_DIGITS"),
    ("superscript-rating", "MHS802", 18 + 3, "PersScore", "\u00b2", "NON_ASCII_DIGITS"),
    ("day-first-date", "MHS801", 1, "AssToolCompDate", "10/01/2024", "DAY_FIRST_DATE"),
    ("not-a-date", "MHS801", 1, "AssToolCompDate", "2024-02-30", "NOT_ISO_DATE"),
    ("assessment-in-2099", "MHS801", 1, "AssToolCompDate", "2099-01-10", "FUTURE_DATE"),
    ("period-start-in-2099", "MHS803", 1, "StartDateCareClust", "2099-01-10", "FUTURE_DATE"),
    ("birth-year-1880", "MHS801", 1, "BirthYear", "1880", "BIRTH_YEAR_OUT_OF_RANGE"),
    ("birth-year-after-as-of", "MHS801", 1, "BirthYear", "2025", "BIRTH_YEAR_OUT_OF_RANGE"),
    ("bad-checksum", "MHS801", 1, "NHSNumber", "9990000019", "INVALID_NHS_NUMBER"),
    ("over-long-ods", "MHS803", 1, "OrgIDComm", "0" * 11, "TOO_LONG_CODE"),
    ("cluster-09", "MHS803", 1, "AMHCareClustCodeFin", "09", "CLUSTER_09"),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hostile_value_is_one_row_level_reject(db, tmp_path, case):
    _, file, index, fld, value, code = case
    files = _rows()
    files[file][index][fld] = value
    _write(tmp_path, files)
    rep = import_mhsds(db, tmp_path, as_of=AS_OF)
    line = index + 2
    assert (file, line, fld, code) in [(e.file, e.line, e.field, e.code) for e in rep.errors]
    # one bad value costs its row (and, for MHS802/MHS803, what depends on it), never the good people
    with db.connect() as c:
        people = set(c.execute(text("SELECT pseudo_id FROM service_users")).scalars())
        stored_values = " ".join(str(v) for v in c.execute(text("SELECT assessor FROM assessments")).scalars())
    assert {"SU0", "SU2"} <= people
    if file == "MHS801":
        assert people == {"SU0", "SU2"}
    assert "\x00" not in stored_values and len(stored_values) < 100
    for e in rep.errors:
        assert len(str(e)) < 300 and not any(n in str(e) for n in NHS) and ARABIC_NHS not in str(e)


def test_cp1252_file_is_read_with_a_warning_naming_it(db, tmp_path):
    files = _rows()
    files["MHS803"][1]["OverrideReason"] = "cost \u00a3"  # a pound sign typed in Excel, saved as cp1252
    files["MHS803"][1]["SuggestedCluster"] = "04"
    _write(tmp_path, files, raw={"MHS803": ("\u00a3".encode("utf-8"), "\u00a3".encode("cp1252"))})
    rep = import_mhsds(db, tmp_path, as_of=AS_OF)
    assert rep.errors == []
    assert any("MHS803.csv" in w and "cp1252" in w for w in rep.warnings)
    with db.connect() as c:
        assert c.execute(text("SELECT override_reason FROM cluster_periods WHERE override_reason IS NOT NULL")).scalar_one() == "cost \u00a3"


def test_arabic_indic_nhs_number_never_makes_a_second_person(db, tmp_path):
    files = _rows()
    _write(tmp_path, files)
    import_mhsds(db, tmp_path, as_of=AS_OF)
    again = _rows()
    again["MHS801"][1].update(ClustId="C9", LocalPatientId="SU9", NHSNumber=ARABIC_NHS)
    again["MHS802"] += [dict(r, ClustId="C9") for r in again["MHS802"][:18]]
    _write(tmp_path, again)
    rep = import_mhsds(db, tmp_path, as_of=AS_OF)
    assert [(e.line, e.field, e.code) for e in rep.errors] == [(3, "NHSNumber", "NON_ASCII_DIGITS")]
    with db.connect() as c:
        assert c.execute(text("SELECT count(*) FROM service_users")).scalar_one() == 3
