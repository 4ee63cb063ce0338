"""Golden files for the `openpbr cluster` contract (set OPENPBR_UPDATE_GOLDEN=1 to rewrite)."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from openpbr.cli import app
from tests.clustering.boundary import assert_one_line_error, run_main

GOLDEN = Path(__file__).parent / "golden"
UPDATE = bool(os.environ.get("OPENPBR_UPDATE_GOLDEN"))
runner = CliRunner()


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, f"{name} differs; rerun with OPENPBR_UPDATE_GOLDEN=1 if the change is intended"


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "120", "NO_COLOR": "1", "TERM": "dumb"})


def test_cluster_output_and_summary(tmp_path):
    out = tmp_path / "allocations.csv"
    result = run("cluster", "--in", str(GOLDEN / "assessments.csv"), "--out", str(out))
    assert result.exit_code == 0, result.output
    check("allocations.csv", out.read_text(encoding="utf-8"))
    check("summary.txt", re.sub(r"in \d+\.\d+s", "in <time>", result.stdout).replace(str(out), "<out>"))


def test_strict_exits_non_zero_when_rows_are_bad(tmp_path):
    result = run("cluster", "--in", str(GOLDEN / "assessments.csv"), "--out", str(tmp_path / "o.csv"), "--strict", "--quiet")
    assert result.exit_code == 1
    assert (tmp_path / "o.csv").exists(), "strict still writes every row"


def test_rerun_gives_identical_output(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    run("cluster", "--in", str(GOLDEN / "assessments.csv"), "--out", str(a), "--quiet")
    run("cluster", "--in", str(GOLDEN / "assessments.csv"), "--out", str(b), "--quiet")
    assert a.read_bytes() == b.read_bytes()


def test_unreadable_files_exit_2_and_leave_no_output(tmp_path):
    out = tmp_path / "o.csv"
    missing = run_main("cluster", "--in", str(tmp_path / "nope.csv"), "--out", str(out))
    assert_one_line_error(missing, 2, "no such file", "[UNREADABLE_FILE]")
    bad = tmp_path / "bad.csv"
    bad.write_text("assessment_id,item_01\nA,1\n")
    result = run_main("cluster", "--in", str(bad), "--out", str(out))
    assert_one_line_error(result, 2, "missing required column(s): item_02")
    assert not out.exists() and not (tmp_path / "o.csv.part").exists()


def test_header_only_file_gives_header_only_output(tmp_path):
    src = tmp_path / "empty.csv"
    src.write_text((GOLDEN / "assessments.csv").read_text().splitlines()[0] + "\n")
    out = tmp_path / "o.csv"
    assert run("cluster", "--in", str(src), "--out", str(out), "--quiet").exit_code == 0
    assert out.read_text().splitlines() == [(GOLDEN / "allocations.csv").read_text().splitlines()[0]]


def test_explain_golden():
    result = run("explain", "--ratings", "0,0,0,0,0,3,1,0,2,1,0,2,0,0,0,0,0,0", "--psychosis-history", "N", "--assessed-on", "2024-06-01")
    assert result.exit_code == 0, result.output
    check("explain.txt", result.stdout)


def test_custom_profile_file_changes_the_answer(tmp_path):
    src = GOLDEN.parent.parent.parent / "src" / "openpbr" / "data" / "profiles" / "provisional-descriptions.yaml"
    strict = tmp_path / "strict.yaml"
    shutil.copy(src, strict)
    strict.write_text(strict.read_text().replace("variance_threshold: 0.75", "variance_threshold: 1.0"))
    out = tmp_path / "o.csv"
    assert run("cluster", "--in", str(GOLDEN / "assessments.csv"), "--out", str(out), "--profiles", str(strict), "--quiet").exit_code == 0
    codes = {line.split(",")[10] for line in out.read_text().splitlines()[1:]}
    assert '"VARIANCE"' in codes


def test_excel_style_file_with_bom_and_crlf_gives_the_same_output(tmp_path):
    src = tmp_path / "excel.csv"
    text = (GOLDEN / "assessments.csv").read_text(encoding="utf-8")
    src.write_text(text.replace("\n", "\r\n"), encoding="utf-8-sig", newline="")
    out = tmp_path / "o.csv"
    assert run("cluster", "--in", str(src), "--out", str(out), "--quiet").exit_code == 0
    assert out.read_text(encoding="utf-8") == (GOLDEN / "allocations.csv").read_text(encoding="utf-8")


def test_calibrate_command_offers_exactly_the_engine_methods():
    # the command keeps its own copy so start-up does not import the optimiser
    from openpbr.clustering.calibrate import METHODS
    from openpbr.clustering.calibrate_cli import METHODS as OFFERED

    assert tuple(OFFERED) == tuple(METHODS)


def test_explain_finds_one_assessment_in_a_file():
    result = run("explain", "--in", str(GOLDEN / "assessments.csv"), "--id", "A00000007")
    assert result.exit_code == 0 and "Assessment A00000007" in result.output
    missing = run_main("explain", "--in", str(GOLDEN / "assessments.csv"), "--id", "NOPE")
    assert_one_line_error(missing, 5, "no row with that assessment_id", "[NOT_FOUND]")
