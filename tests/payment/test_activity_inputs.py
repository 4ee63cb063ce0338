"""Activity files: read strictly, every row paid or shown as a named unpaid line, files settle as memory does."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from openpbr.cli import app, main
from openpbr.errors import InputError
from openpbr.payment.activity import ActivityBundle, load_bundle, screen, write_bundle
from openpbr.payment.cli import demo_bundle
from openpbr.payment.contracts import demo_contracts_dir, load_contracts
from openpbr.payment.settle import settle

CONTRACTS = load_contracts(demo_contracts_dir())
MONTHS = [(date(2024, 6, 1), date(2024, 7, 1)), (date(2025, 3, 1), date(2025, 4, 1))]


def lines_of(run) -> list:
    """Everything a finance lead sees: every line of every statement (with trace), balances, exceptions."""
    out = []
    for st in run.statements + [run.exceptions]:
        out.append((st.contract_id, st.total, st.on_account, st.balance))
        out += [(st.contract_id, ln.as_row(), json.dumps(ln.trace, sort_keys=True, default=str)) for ln in st.lines]
    return out


# -- the demo round trip ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_files(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "activity"
    res = CliRunner().invoke(app, ["pay", "demo-activity", str(out), "--people", "3000"])
    assert res.exit_code == 0, res.output
    return out


@pytest.mark.slow
def test_demo_activity_then_settle_from_files_equals_settling_in_memory(demo_files):
    memory = demo_bundle(3000)
    files = load_bundle(demo_files)
    assert files.rejected == [] and memory.rejected == []
    for a, b in MONTHS:
        m, f = settle(CONTRACTS, memory, a, b), settle(CONTRACTS, files, a, b)
        assert lines_of(f) == lines_of(m)
        assert f.total == m.total
        assert not [ln for st in f.statements for ln in st.lines if ln.code.value == "UNKNOWN_CURRENCY"]


def test_cluster_codes_stay_strings_through_the_files(demo_files):
    text = (demo_files / "cluster_periods.csv").read_text()
    assert '"04"' in text or ",04," in text
    t = load_bundle(demo_files).cluster_periods
    assert t.schema.field("cluster").type == pa.string()
    assert {"00", "04", "08"} <= set(t.column("cluster").to_pylist())


def test_quoted_headers_and_quoted_codes_are_priced(tmp_path):
    """The regression that once lost £69,835 in a demo month: quoted headers turned "04" into 4."""
    (tmp_path / "cluster_periods.csv").write_text(
        '"person_id","provider","commissioner","cluster","start_date","end_date"\n'
        '"1","RDEMO","ICB-A","04",2024-01-01,\n"2","RDEMO","ICB-A",08,2024-01-01,\n')
    b = load_bundle(tmp_path)
    assert b.cluster_periods.column("cluster").to_pylist() == ["04", "08"]
    run = settle(CONTRACTS, b, date(2024, 6, 1), date(2024, 7, 1))
    st = run.statement("DEMO-ICBA-CLUSTER")
    priced = [ln for ln in st.lines if ln.rule == "cluster.per_day"]
    assert {ln.code.value for ln in priced} == {"PRICED"} and sum(ln.quantity for ln in priced) == 60


# -- every row paid or shown: hostile rows become named unpaid lines ------------------------------------------------

GOOD = {
    "cluster_periods": ["person_id,provider,commissioner,cluster,start_date,end_date",
                        "1,RDEMO,ICB-A,04,2024-01-01,", "2,RDEMO,ICB-A,11,2024-05-01,2024-06-20"],
    "spells": ["spell_id,provider,commissioner,hrg,pod,admission_date,discharge_date,age,admission_method",
               "S1,RACUTE,ICB-A,EB03X,EL,2024-06-02,2024-06-05,60,11"],
    "personal_budgets": ["person_id,provider,commissioner,start_date,end_date,annual_value",
                         "1,RDEMO,ICB-A,2024-04-01,,3650.00"],
    "bed_days": ["person_id,provider,commissioner,start_date,end_date", "1,RDEMO,ICB-A,2024-06-01,2024-06-11"],
}


@dataclass(frozen=True)
class Hostile:
    title: str
    table: str
    row: str
    code: str  # the PayCode on the exceptions statement
    issue: str  # the reader's code in the trace
    field: str


HOSTILE = [
    Hostile("Spell discharged before admission", "spells", "S9,RACUTE,ICB-A,EB03X,EL,2024-06-10,2024-06-02,60,11",
            "DISCHARGE_BEFORE_ADMISSION", "END_BEFORE_START", "discharge_date"),
    Hostile("Negative personal budget", "personal_budgets", "9,RDEMO,ICB-A,2024-04-01,,-3650.00",
            "NEGATIVE_AMOUNT", "NEGATIVE_AMOUNT", "annual_value"),
    Hostile("Cluster period ending before it starts", "cluster_periods", "9,RDEMO,ICB-A,04,2024-06-20,2024-06-01",
            "END_BEFORE_START", "END_BEFORE_START", "end_date"),
    Hostile("Negative bed days", "bed_days", "9,RDEMO,ICB-A,2024-06-15,2024-06-05", "END_BEFORE_START",
            "END_BEFORE_START", "end_date"),
    Hostile("Day-first date in a spell", "spells", "S9,RACUTE,ICB-A,EB03X,EL,02/06/2024,2024-06-05,60,11",
            "INVALID_DATE", "DAY_FIRST_DATE", "admission_date"),
    Hostile("Negative age", "spells", "S9,RACUTE,ICB-A,EB03X,EL,2024-06-02,2024-06-05,-1,11", "NEGATIVE_QUANTITY",
            "NEGATIVE_QUANTITY", "age"),
    Hostile("Blank cluster", "cluster_periods", "9,RDEMO,ICB-A,,2024-06-01,", "MISSING_VALUE",
            "REQUIRED_VALUE_MISSING", "cluster"),
    Hostile("Arabic-Indic cluster digits", "cluster_periods", "9,RDEMO,ICB-A,٠٤,2024-06-01,", "INVALID_ROW",
            "NON_ASCII_DIGITS", "cluster"),
    Hostile("Budget in words", "personal_budgets", "9,RDEMO,ICB-A,2024-04-01,,lots", "INVALID_ROW", "NOT_A_NUMBER",
            "annual_value"),
    Hostile("Ragged row", "cluster_periods", "9,RDEMO,ICB-A,04", "INVALID_ROW", "RAGGED_ROW", "row"),
]


def write_folder(folder: Path, extra: Hostile | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in GOOD.items():
        rows = rows + ([extra.row] if extra and extra.table == name else [])
        (folder / f"{name}.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def base_run(tmp_path_factory):
    return settle(CONTRACTS, load_bundle(write_folder(tmp_path_factory.mktemp("base"))), *MONTHS[0])


@pytest.mark.parametrize("case", HOSTILE, ids=[h.title for h in HOSTILE])
def test_hostile_activity_row_is_a_named_unpaid_line_and_changes_no_money(tmp_path, base_run, case: Hostile):
    run = settle(CONTRACTS, load_bundle(write_folder(tmp_path, case)), *MONTHS[0])
    shown = [ln for ln in run.exceptions.lines if ln.rule == "activity.rejected"]
    assert len(shown) == 1
    ln = shown[0]
    assert (ln.code.value, ln.quantity, ln.unit, ln.amount) == (case.code, 1, "rows", 0)
    inputs = ln.trace["inputs"]
    line_no = len(GOOD[case.table]) + 1
    assert (inputs["file"], inputs["lines"], inputs["field"], inputs["issue"]) == \
        (f"{case.table}.csv", [line_no], case.field, case.issue)
    assert [(s.contract_id, s.lines, s.on_account) for s in run.statements] == \
        [(s.contract_id, s.lines, s.on_account) for s in base_run.statements], "a bad row never changes valid money"


def test_in_memory_rows_get_the_same_treatment():
    cp = pa.table({"person_id": ["1", "2"], "provider": ["RDEMO"] * 2, "commissioner": ["ICB-A"] * 2,
                   "cluster": ["04", "04"], "start_date": pa.array([date(2024, 6, 1), date(2024, 6, 20)]),
                   "end_date": pa.array([None, date(2024, 6, 10)], pa.date32())})
    pb = pa.table({"person_id": ["1"], "provider": ["RDEMO"], "commissioner": ["ICB-A"],
                   "start_date": pa.array([date(2024, 4, 1)]), "end_date": pa.nulls(1, pa.date32()),
                   "annual_value": ["-3650.00"]})
    run = settle(CONTRACTS, ActivityBundle(cluster_periods=cp, personal_budgets=pb), *MONTHS[0])
    codes = sorted(ln.code.value for ln in run.exceptions.lines if ln.rule == "activity.rejected")
    assert codes == ["END_BEFORE_START", "NEGATIVE_AMOUNT"]
    st = run.statement("DEMO-ICBA-CLUSTER")
    assert not st.lines_of("personal_budgets"), "the negative budget is not turned into an addition"
    assert sum(ln.quantity for ln in st.lines if ln.rule == "cluster.per_day") == 30


def test_rejected_rows_show_only_in_the_months_they_touch(tmp_path):
    folder = write_folder(tmp_path, HOSTILE[0])  # dated June 2024
    b = load_bundle(folder)
    july = settle(CONTRACTS, b, date(2024, 7, 1), date(2024, 8, 1))
    assert not [ln for ln in july.exceptions.lines if ln.rule == "activity.rejected"]


# -- the folder ------------------------------------------------------------------------------------------------------

def test_missing_folder_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        load_bundle(tmp_path / "nope")


def test_folder_without_activity_files_is_an_input_error(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(InputError, match=r"no activity files in .*: expected cluster_periods.csv, assessments.csv"):
        load_bundle(tmp_path)


def test_misnamed_required_column_is_refused_naming_file_and_column(tmp_path):
    (tmp_path / "cluster_periods.csv").write_text("person_id,provider,commissioner,clustr,start_date\n")
    with pytest.raises(InputError) as err:
        load_bundle(tmp_path)
    assert "cluster_periods.csv" in str(err.value) and "cluster" in str(err.value)


def test_unknown_column_and_absent_tables_are_reported(tmp_path):
    (tmp_path / "cluster_periods.csv").write_text(GOOD["cluster_periods"][0] + ",colour\n1,RDEMO,ICB-A,04,2024-01-01,,red\n")
    (tmp_path / "cluster_period.csv").write_text("x\n")
    b = load_bundle(tmp_path)
    text = "\n".join(b.warnings)
    assert "unknown column ignored: colour" in text
    assert "no spells.csv" in text and "cluster_period.csv is not an activity table" in text


def test_parquet_files_are_accepted_and_csv_plus_parquet_is_refused(tmp_path):
    t = screen(ActivityBundle(cluster_periods=pa.table({
        "person_id": ["1"], "provider": ["RDEMO"], "commissioner": ["ICB-A"], "cluster": ["04"],
        "start_date": pa.array([date(2024, 1, 1)]), "end_date": pa.nulls(1, pa.date32())}))).cluster_periods
    pq.write_table(t, tmp_path / "cluster_periods.parquet")
    assert load_bundle(tmp_path).cluster_periods.equals(t)
    write_bundle(ActivityBundle(cluster_periods=t), tmp_path)
    with pytest.raises(InputError, match="given twice"):
        load_bundle(tmp_path)


def run_main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    """The installed command: its error boundary included."""
    monkeypatch.setattr(sys, "argv", ["openpbr", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return int(done.value.code or 0), out.out + out.err


@pytest.mark.parametrize("folder", ["nope", "empty"])
def test_cli_settle_with_a_missing_or_empty_activity_folder_fails_cleanly(tmp_path, monkeypatch, capsys, folder):
    (tmp_path / "empty").mkdir()
    code, out = run_main(monkeypatch, capsys, "pay", "settle", "--month", "2024-06", "--activity",
                         str(tmp_path / folder))
    assert code == 2 and "Traceback" not in out
    assert ("not found" if folder == "nope" else "no activity files in") in out


def test_cli_settle_reports_rejected_rows(tmp_path, monkeypatch, capsys):
    folder = write_folder(tmp_path / "a", HOSTILE[1])
    code, out = run_main(monkeypatch, capsys, "pay", "settle", "--month", "2024-06", "--activity", str(folder))
    assert code == 0, out
    assert "NEGATIVE_AMOUNT" in out and "1 activity row issue" in out
