"""Hostile inputs to the one reader: each gives its named code, field and line, and the good rows are kept.

Also renders docs/inputs-spec.md (set OPENPBR_UPDATE_DOCS=1 to rewrite).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from openpbr.errors import InputError
from openpbr.io import reader
from openpbr.io.reader import read_table
from openpbr.io.tables import (
    ALL_SPECS,
    CLUSTER_PERIODS,
    ISSUE_DESCRIPTIONS,
    MHS801,
    PERSONAL_BUDGETS,
    SPELLS,
    IssueCode,
    TableSpec,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "inputs-spec.md"
AS_OF = date(2025, 1, 1)

CP_HEAD = "person_id,provider,commissioner,cluster,start_date,end_date"
CP_GOOD = ["p1,P1,C1,04,2024-01-01,", "p2,P1,C1,11,2024-02-01,2024-03-01"]
PB_HEAD = "person_id,provider,commissioner,start_date,end_date,annual_value"
PB_GOOD = ["p1,P1,C1,2024-01-01,,1200.50", "p2,P1,C1,2024-01-01,2025-01-01,300"]
SP_HEAD = "spell_id,provider,commissioner,hrg,pod,admission_date,discharge_date,age,admission_method"
SP_GOOD = ["s1,P1,C1,AA22C,EL,2024-01-01,2024-01-05,40,11", "s2,P1,C1,AA22C,NEL,2024-02-01,2024-02-02,70,21"]
M1_HEAD = ("ClustId,LocalPatientId,NHSNumber,BirthYear,OrgIDProv,CareProfTeamLocalId,CareProfLocalId,AssToolCompDate,"
           "ClustCat,ClustToolAssReason,MHCareClusterSuperClass,AMHCareClustCodeInit")
M1_GOOD = ["K1,L1,9434765919,1960,P1,T1,CP1,2024-01-01,,initial,,04",
           "K2,L2,9434765870,1980,P1,T1,CP1,2024-02-01,,initial,,11"]


@dataclass(frozen=True)
class Case:
    title: str
    spec: TableSpec
    bad_row: bytes  # the hostile row, placed between the two good rows (line 3)
    code: str
    field: str
    text: str  # in the message
    header: str = ""
    line: int = 3


def cp(title, row, code, field, text, **kw):
    return Case(title, CLUSTER_PERIODS, row if isinstance(row, bytes) else row.encode(), code, field, text, **kw)


CASES = [
    cp("Row with too few fields", "p9,P1,C1,04", "RAGGED_ROW", "row", "4 fields where the header has 6"),
    cp("Row with too many fields", "p9,P1,C1,04,2024-01-01,,extra", "RAGGED_ROW", "row", "7 fields"),
    cp("NUL byte in a code", b"p9,P1,C\x001,04,2024-01-01,", "NUL_BYTE", "commissioner", "NUL byte"),
    cp("A 1 MB field", "p9,P1,C1,04,2024-01-01," + "9" * 1_000_000, "FIELD_TOO_LONG", "end_date",
       "longer than 10,000 characters"),
    cp("Cluster code longer than its column", "p9,P1,C1,04040,2024-01-01,", "TOO_LONG_CODE", "cluster",
       "longer than 4 characters"),
    cp("Arabic-Indic digits in a cluster code", "p9,P1,C1,٠٤,2024-01-01,", "NON_ASCII_DIGITS", "cluster", "ASCII"),
    cp("Superscript digit in a date", "p9,P1,C1,04,2024-01-0²,", "NON_ASCII_DIGITS", "start_date", "ASCII"),
    cp("Full-width digits in a person id", "p９,P1,C1,04,2024-01-01,", "NON_ASCII_DIGITS", "person_id", "ASCII"),
    cp("Day-first date", "p9,P1,C1,04,31/01/2024,", "DAY_FIRST_DATE", "start_date", "write dates as ISO YYYY-MM-DD"),
    cp("Day-first date with dots", "p9,P1,C1,04,2024-01-01,01.02.2024", "DAY_FIRST_DATE", "end_date", "ISO"),
    cp("Date and time", "p9,P1,C1,04,2024-01-01T10:00,", "NOT_ISO_DATE", "start_date", "not an ISO date"),
    cp("Impossible calendar date", "p9,P1,C1,04,2024-02-30,", "NOT_ISO_DATE", "start_date", "not a real calendar date"),
    cp("Words for a date", "p9,P1,C1,04,yesterday,", "NOT_ISO_DATE", "start_date", "YYYY-MM-DD"),
    cp("Blank required code", "p9,P1,,04,2024-01-01,", "REQUIRED_VALUE_MISSING", "commissioner", "blank"),
    cp("Blank required date", "p9,P1,C1,04,  ,", "REQUIRED_VALUE_MISSING", "start_date", "blank"),
    cp("Period ends before it starts", "p9,P1,C1,04,2024-03-01,2024-02-01", "END_BEFORE_START", "end_date",
       "before start_date"),
    cp("Start date after the as-of date", "p9,P1,C1,04,2099-01-01,", "FUTURE_DATE", "start_date",
       "after the as-of date 2025-01-01"),
    cp("cp1252 pound sign in a ragged row", b"p9,P\xa31,C1,04,2024-01-01,,", "RAGGED_ROW", "row", "7 fields"),
    Case("Negative personal budget", PERSONAL_BUDGETS, b"p9,P1,C1,2024-01-01,,-1200", "NEGATIVE_AMOUNT",
         "annual_value", "negative amount", header=PB_HEAD),
    Case("Amount with a pound sign and comma", PERSONAL_BUDGETS, "p9,P1,C1,2024-01-01,,\"£1,200\"".encode(),
         "NOT_A_NUMBER", "annual_value", "no currency signs or commas", header=PB_HEAD),
    Case("Fraction of a penny beyond 9 places", PERSONAL_BUDGETS, b"p9,P1,C1,2024-01-01,,1.0000000001",
         "NOT_A_NUMBER", "annual_value", "at most 9 places", header=PB_HEAD),
    Case("Discharged before admission", SPELLS, b"s9,P1,C1,AA22C,EL,2024-01-05,2024-01-01,40,11",
         "END_BEFORE_START", "discharge_date", "before admission_date", header=SP_HEAD),
    Case("Negative age", SPELLS, b"s9,P1,C1,AA22C,EL,2024-01-01,2024-01-05,-4,11", "NEGATIVE_QUANTITY", "age",
         "negative quantity", header=SP_HEAD),
    Case("Age in words", SPELLS, b"s9,P1,C1,AA22C,EL,2024-01-01,2024-01-05,forty,11", "NOT_A_NUMBER", "age",
         "not a whole number", header=SP_HEAD),
    Case("Birth year 1880", MHS801, b"K9,L9,9434765919,1880,P1,T1,CP1,2024-01-01,,initial,,04",
         "BIRTH_YEAR_OUT_OF_RANGE", "BirthYear", "not a plausible birth year", header=M1_HEAD),
    Case("Birth year after the as-of date", MHS801, b"K9,L9,9434765919,2030,P1,T1,CP1,2024-01-01,,initial,,04",
         "BIRTH_YEAR_OUT_OF_RANGE", "BirthYear", "1905..2025", header=M1_HEAD),
    Case("Assessment dated 2099", MHS801, b"K9,L9,9434765919,1970,P1,T1,CP1,2099-06-01,,initial,,04",
         "FUTURE_DATE", "AssToolCompDate", "after the as-of date", header=M1_HEAD),
    Case("NHS number in Arabic-Indic digits", MHS801,
         "K9,L9,٩٤٣٤٧٦٥٩١٩,1970,P1,T1,CP1,2024-01-01,,initial,,04".encode(), "NON_ASCII_DIGITS", "NHSNumber",
         "ASCII", header=M1_HEAD),
]

GOOD = {CLUSTER_PERIODS.name: (CP_HEAD, CP_GOOD), PERSONAL_BUDGETS.name: (PB_HEAD, PB_GOOD),
        SPELLS.name: (SP_HEAD, SP_GOOD), MHS801.name: (M1_HEAD, M1_GOOD)}


def write_case(tmp_path: Path, case: Case) -> Path:
    head, good = GOOD[case.spec.name]
    body = (case.header or head).encode() + b"\n" + good[0].encode() + b"\n" + case.bad_row + b"\n" + \
        good[1].encode() + b"\n"
    path = tmp_path / f"{case.spec.name}.csv"
    path.write_bytes(body)
    return path


@pytest.mark.parametrize("parser", ["pyarrow", "csv-module"])
@pytest.mark.parametrize("case", CASES, ids=[c.title for c in CASES])
def test_hostile_row(tmp_path, monkeypatch, case: Case, parser: str):
    if parser == "csv-module":  # rows larger than pyarrow's block take the csv-module path: force it
        monkeypatch.setattr(reader, "BLOCK_SIZE", 16)
    r = read_table(write_case(tmp_path, case), case.spec, as_of=AS_OF)
    assert [(i.line, i.field, i.code) for i in r.issues] == [(case.line, case.field, case.code)]
    assert case.text in r.issues[0].message
    assert r.table.num_rows == 2, "both good rows are kept"
    assert list(r.lines) == [2, 4]
    assert r.rows_read == 3
    assert "9434765919" not in str(r.issues[0]) and "٩٤٣" not in str(r.issues[0]), "no value in a message"


def test_every_row_issue_code_is_exercised():
    file_level = {IssueCode.MISSING_COLUMN, IssueCode.DUPLICATE_COLUMN, IssueCode.EMPTY_FILE,
                  IssueCode.UNKNOWN_COLUMN, IssueCode.NOT_UTF8, IssueCode.NOT_A_BOOLEAN}
    assert {c.value for c in IssueCode} - {c.value for c in file_level} <= {c.code for c in CASES}


# -- whole-file behaviour -------------------------------------------------------------------------------------------

def _cp(tmp_path, data: bytes, name="cluster_periods.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(data)
    return p


def test_quoted_headers_bom_crlf_and_case_are_accepted_and_codes_stay_strings(tmp_path):
    data = '\ufeff"Person_ID", "PROVIDER" ,"commissioner","Cluster","start_date","end_date"\r\n' \
           'p1,P1,C1,"04",2024-01-01,\r\np2,P1,C1,00,2024-01-01,\r\n'
    r = read_table(_cp(tmp_path, data.encode()), CLUSTER_PERIODS)
    assert r.issues == [] and r.warnings == []
    assert r.table.column("cluster").to_pylist() == ["04", "00"]
    assert r.table.schema.field("cluster").type == pa.string()
    assert r.table.column_names == ["person_id", "provider", "commissioner", "cluster", "start_date", "end_date"]


def test_cp1252_is_read_with_a_warning_naming_the_file_not_the_content(tmp_path):
    data = (CP_HEAD + "\n" + "p1,P\xa31,C1,04,2024-01-01,\n").encode("cp1252")
    r = read_table(_cp(tmp_path, data), CLUSTER_PERIODS)
    assert r.encoding == "cp1252" and r.table.column("provider").to_pylist() == ["P£1"]
    assert len(r.warnings) == 1 and "cluster_periods.csv" in r.warnings[0] and "P£1" not in r.warnings[0]
    assert "NOT_UTF8" in r.warnings[0]


def test_unknown_column_is_reported_and_ignored(tmp_path):
    r = read_table(_cp(tmp_path, (CP_HEAD + ",colour\np1,P1,C1,04,2024-01-01,,red\n").encode()), CLUSTER_PERIODS)
    assert r.table.num_rows == 1 and "colour" not in r.table.column_names
    assert r.warnings == ["cluster_periods.csv: unknown column ignored: colour [UNKNOWN_COLUMN]"]


def test_missing_required_column_is_refused_naming_file_and_column(tmp_path):
    with pytest.raises(InputError) as err:
        read_table(_cp(tmp_path, b"person_id,provider,commissioner,clustr,start_date\np1,P1,C1,04,2024-01-01\n"),
                   CLUSTER_PERIODS)
    assert err.value.code == "MISSING_COLUMN"
    assert "cluster_periods.csv" in str(err.value) and "missing required column cluster " in str(err.value)


def test_headerless_file_never_echoes_its_first_row(tmp_path):
    with pytest.raises(InputError) as err:
        read_table(_cp(tmp_path, b"9434765919,P1,C1,04,2024-01-01,\n"), CLUSTER_PERIODS)
    assert "9434765919" not in str(err.value) and "<column 1>" in str(err.value)


def test_empty_and_missing_files_are_refused(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_table(_cp(tmp_path, b""), CLUSTER_PERIODS)
    with pytest.raises(InputError, match="not found"):
        read_table(tmp_path / "nope.csv", CLUSTER_PERIODS)


def test_duplicate_column_is_refused(tmp_path):
    with pytest.raises(InputError, match="appears twice"):
        read_table(_cp(tmp_path, (CP_HEAD + ",Cluster\n").encode()), CLUSTER_PERIODS)


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(tmp_path):
    data = (CP_HEAD + "\n\np1,P1,C1,04,2024-01-01,\n,,,,,\np2,P1,C1,04,31/12/2024,\n").encode()
    r = read_table(_cp(tmp_path, data), CLUSTER_PERIODS)
    assert [(i.line, i.code) for i in r.issues] == [(5, "DAY_FIRST_DATE")]
    assert list(r.lines) == [3] and r.rows_read == 2


def test_several_ragged_rows_keep_exact_line_numbers(tmp_path):
    rows = [CP_HEAD] + [("p,P1,C1,04,2024-01-01," if i % 7 else "p,P1") for i in range(1, 50)]
    r = read_table(_cp(tmp_path, "\n".join(rows).encode()), CLUSTER_PERIODS)
    assert [i.line for i in r.issues] == [i + 1 for i in range(1, 50) if i % 7 == 0]
    assert list(r.lines) == [i + 1 for i in range(1, 50) if i % 7]


def test_booleans(tmp_path):
    data = (SP_HEAD + ",bpt_met\n" + SP_GOOD[0] + ",Y\n" + SP_GOOD[1] + ",no\n" + SP_GOOD[1] + ",maybe\n").encode()
    r = read_table(_cp(tmp_path, data, "spells.csv"), SPELLS)
    assert r.table.column("bpt_met").to_pylist() == [True, False]
    assert [(i.line, i.code) for i in r.issues] == [(4, "NOT_A_BOOLEAN")]


def test_parquet_gets_the_same_checks_on_typed_columns(tmp_path):
    t = pa.table({"Person_ID": ["p1", "p2", "p3"], "provider": ["P1"] * 3, "commissioner": ["C1"] * 3,
                  "cluster": ["04", "٠٤", "11"],
                  "start_date": pa.array([date(2024, 1, 1), date(2024, 3, 1), date(2099, 1, 1)]),
                  "end_date": pa.array([None, date(2024, 2, 1), None], pa.date32())})
    pq.write_table(t, tmp_path / "cluster_periods.parquet")
    r = read_table(tmp_path / "cluster_periods.parquet", CLUSTER_PERIODS, as_of=AS_OF)
    assert [(i.line, i.field, i.code) for i in r.issues] == [
        (2, "cluster", "NON_ASCII_DIGITS"), (2, "end_date", "END_BEFORE_START"), (3, "start_date", "FUTURE_DATE")]
    assert r.table.to_pylist() == [{"person_id": "p1", "provider": "P1", "commissioner": "C1", "cluster": "04",
                                    "start_date": date(2024, 1, 1), "end_date": None}]


def test_parquet_missing_column_is_refused(tmp_path):
    pq.write_table(pa.table({"person_id": ["p1"]}), tmp_path / "x.parquet")
    with pytest.raises(InputError, match="x.parquet: missing required columns provider"):
        read_table(tmp_path / "x.parquet", CLUSTER_PERIODS)


# -- docs -----------------------------------------------------------------------------------------------------------

def _rules(c) -> str:
    out = []
    if c.max_length and not c.text:
        out.append(f"≤ {c.max_length} chars")
    if c.text:
        out.append("free text" + (f", ≤ {c.max_length:,} chars" if c.max_length else ""))
    if c.not_future:
        out.append("not after as-of")
    if c.birth_year:
        out.append("plausible birth year")
    if c.non_negative:
        out.append(f"≥ 0 ({c.non_negative})")
    return ", ".join(out)


def render() -> str:
    lines = [
        "# Inputs: declared tables and the strict reader",
        "",
        "Generated from `src/openpbr/io/tables.py` and `tests/io/test_reader_spec.py` (set `OPENPBR_UPDATE_DOCS=1`",
        "to rewrite); every hostile case below is checked by the test suite. The reader is",
        "`openpbr.io.reader.read_table(path, spec, as_of=...)`: good rows are kept, typed by the spec; each bad row",
        "becomes one issue per bad field (file, line, field, code, message). Messages never quote a value.",
        "",
        "- Header names match ignoring case, surrounding spaces and quotes; a BOM and CRLF are fine.",
        "- A file that is not UTF-8 is read as Windows cp1252 with a warning naming the file.",
        "- Values are trimmed (surrounding spaces are not significant); a blank value is null; an all-blank row is",
        "  skipped as a blank line.",
        "- A leading apostrophe before `= + - @ TAB CR` (added by the tool's Excel-safe CSV writer) is removed, so",
        "  every file the tool writes reads back exactly.",
        "- Line numbers count the header as line 1 (records, for a quoted value spanning lines); Parquet: row number.",
        "- Parquet files (`.parquet`) get the same checks on their typed columns.",
        "",
        "## Issue codes",
        "",
        "| Code | Meaning |",
        "|---|---|",
        *[f"| `{c.value}` | {ISSUE_DESCRIPTIONS[c]} |" for c in IssueCode],
        "",
        "## Hostile inputs, case by case",
        "",
        "Each case is a file with a good row, the hostile row (line 3) and another good row, read with as-of",
        f"{AS_OF.isoformat()}; both good rows are kept every time.",
        "",
        "| Case | Table | Code | Field | Message contains |",
        "|---|---|---|---|---|",
        *[f"| {c.title} | {c.spec.name} | `{c.code}` | {c.field} | {c.text} |" for c in CASES],
        "",
        "## Declared tables",
        "",
        "Required: the column must be present (else the file is refused). Blank: a value may be left empty.",
    ]
    for spec in ALL_SPECS:
        lines += ["", f"### {spec.name}", "", spec.description, ""]
        if spec.ordered:
            lines += ["Ordered dates (`END_BEFORE_START`): " + ", ".join(f"{a} ≤ {b}" for a, b in spec.ordered), ""]
        lines += ["| Column | Type | Required | Blank | Rules |", "|---|---|---|---|---|"]
        for c in spec.columns:
            rules = _rules(c) + (f"; {c.description}" if c.description else "")
            lines.append(f"| {c.name} | {c.type} | {'yes' if c.required else ''} | {'yes' if c.nullable else ''} "
                         f"| {rules} |")
    return "\n".join(lines) + "\n"


def test_docs_match_spec():
    text = render()
    if os.environ.get("OPENPBR_UPDATE_DOCS"):
        DOC.write_text(text, encoding="utf-8")
    assert DOC.exists() and DOC.read_text(encoding="utf-8") == text, "run with OPENPBR_UPDATE_DOCS=1 to refresh"
