"""Hostile input at the `openpbr cluster` door: each input, its result code and message, good rows kept.

Row-level cases put one hostile row among good rows (line 5 of the file) and
check that (a) the output still has one row per input row, in order, (b) the
hostile row carries its code and message, and (c) every good row comes out
exactly as it does from the clean file. File-level cases are refused in one
line (exit 2) with nothing written.
"""

from __future__ import annotations

import csv
import functools
import io
from pathlib import Path

import pytest

from openpbr.clustering import batch
from openpbr.clustering.batch import cluster_file
from openpbr.clustering.csv_layout import read_layout
from openpbr.clustering.profiles import load_profiles
from tests.clustering.boundary import assert_one_line_error, run_main

GOLDEN = Path(__file__).parent / "golden"
LINES = (GOLDEN / "assessments.csv").read_text(encoding="utf-8").splitlines()
HEADER, GOOD = LINES[0], LINES[1:9]  # eight rows the golden output clusters OK
NAMES = next(csv.reader([HEADER]))
AT = 3  # the hostile row goes after three good rows: file line 5


def row(**changes: str) -> str:
    """A good row (the first) with some fields replaced, as CSV text."""
    values = dict(zip(NAMES, next(csv.reader([GOOD[0]]))))
    values.update(changes)
    buf = io.StringIO()
    csv.writer(buf, lineterminator="").writerow([values[n] for n in NAMES])
    return buf.getvalue()


MB = "X" * 1_000_000

# name, hostile row text, expected result code, message fragment, expected id in the output
ROW_CASES = [
    ("ragged: too few fields", "H1,1,2,3", "RAGGED_ROW", "line 5: 4 fields where the header has 23; the row was not read", "H1"),
    ("ragged: too many fields", row(assessment_id="H2") + ",extra,fields", "RAGGED_ROW", "line 5: 25 fields where the header has 23", "H2"),
    ("ragged: one field", "H3", "RAGGED_ROW", "line 5: 1 fields where the header has 23", "H3"),
    ("NUL byte in a rating", row(assessment_id="H4", item_03="1\x00"), "INVALID_RATING", "line 5: item_03: '1\\x00' is not a rating", "H4"),
    ("NUL byte in the id", row(assessment_id="H\x005"), "INVALID_ASSESSMENT_ID", "line 5: assessment_id: contains a NUL or other control character", None),
    ("huge id (1 MB)", row(assessment_id=MB), "INVALID_ASSESSMENT_ID", "line 5: assessment_id: 1,000,000 characters; at most 64", None),
    ("huge rating (1 MB)", row(assessment_id="H6", item_02=MB), "INVALID_RATING", "item_02: 'XXXXXXXXXXXXXXXXXXXXXXXX'... (1,000,000 characters) is not a rating", "H6"),
    ("Arabic-Indic digit rating", row(assessment_id="H7", item_01="\u0663"), "INVALID_RATING", "item_01: '\u0663' is not a rating", "H7"),
    ("superscript digit rating", row(assessment_id="H8", item_01="\u00b2"), "INVALID_RATING", "item_01: '\u00b2' is not a rating", "H8"),
    ("fullwidth digits in age", row(assessment_id="H9", age="\uff13\uff10"), "INVALID_CONTEXT", "age: '\uff13\uff10' is not an age", "H9"),
    ("Arabic-Indic digits in a date", row(assessment_id="H10", assessed_on="\u0662\u0660\u0662\u0664-01-01"), "INVALID_CONTEXT", "assessed_on:", "H10"),
    ("formula id: HYPERLINK", row(assessment_id='=HYPERLINK("http://x","y")'), "OK", None, '\'=HYPERLINK("http://x","y")'),
    ("formula id: DDE", row(assessment_id="=cmd|' /C calc'!A0"), "OK", None, "'=cmd|' /C calc'!A0"),
    ("formula id: plus, at, minus", row(assessment_id="@SUM(A1)"), "OK", None, "'@SUM(A1)"),
    ("formula id: tab start", row(assessment_id="\t=1+1"), "OK", None, "'\t=1+1"),
    ("id that is a negative number stays a number", row(assessment_id="-12"), "OK", None, "-12"),
    ("blank id", row(assessment_id=""), "MISSING_ASSESSMENT_ID", "line 5: assessment_id: blank", None),
]


@pytest.fixture(scope="module")
def profiles():
    return load_profiles()


def cluster_text(tmp_path: Path, name: str, data: bytes, profiles) -> tuple[list[dict], batch.Summary]:
    src, out = tmp_path / f"{name}.csv", tmp_path / f"{name}.out.csv"
    src.write_bytes(data)
    summary = cluster_file(src, out, profiles)
    with out.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f)), summary


def file_of(rows: list[str], newline: str = "\n") -> bytes:
    return (newline.join([HEADER, *rows]) + newline).encode("utf-8")


@pytest.fixture(scope="module")
def clean(tmp_path_factory, profiles):
    rows, _ = cluster_text(tmp_path_factory.mktemp("clean"), "clean", file_of(GOOD), profiles)
    return rows


@pytest.mark.parametrize("name, text, code, message, out_id", ROW_CASES, ids=[c[0] for c in ROW_CASES])
def test_one_hostile_row_gets_its_code_and_good_rows_are_kept(tmp_path, profiles, clean, name, text, code, message, out_id):
    rows, summary = cluster_text(tmp_path, "hostile", file_of([*GOOD[:AT], text, *GOOD[AT:]]), profiles)
    assert len(rows) == len(GOOD) + 1 and summary.rows == len(GOOD) + 1
    hostile = rows[AT]
    assert hostile["result_code"] == code, hostile
    if message:
        assert message in hostile["message"]
        assert len(hostile["message"]) < 200, "a message never echoes a huge value"
    assert hostile["assessment_id"] == (out_id or "")
    assert rows[:AT] + rows[AT + 1 :] == clean
    assert summary.codes[code] >= 1


def test_ragged_rows_first_last_and_every_row(tmp_path, profiles, clean):
    rows, _ = cluster_text(tmp_path, "edges", file_of(["R1,1", *GOOD, "R2,1,2"]), profiles)
    assert [r["assessment_id"] for r in rows] == ["R1", *[r["assessment_id"] for r in clean], "R2"]
    assert rows[0]["message"].startswith("line 2:") and rows[-1]["message"].startswith(f"line {len(GOOD) + 3}:")
    assert rows[1:-1] == clean
    rows, summary = cluster_text(tmp_path, "all", file_of(["R1,1", "R2", "R3,,"]), profiles)
    assert [r["result_code"] for r in rows] == ["RAGGED_ROW"] * 3
    assert [r["message"][:7] for r in rows] == ["line 2:", "line 3:", "line 4:"]
    assert summary.bad_rows == 3


def test_many_ragged_rows_across_blocks_keep_their_places(tmp_path, profiles, monkeypatch):
    """Small read blocks, so ragged rows fall at block edges: every row still lands on its own line."""
    body = []
    for n in range(300):
        body.append(f"Q{n},1" if n % 7 == 3 else row(assessment_id=f"G{n}"))
    real = batch.open_reader
    monkeypatch.setattr(batch, "open_reader", lambda *a, **k: real(*a[:3], block_size=1 << 12))
    rows, summary = cluster_text(tmp_path, "blocks", file_of(body), profiles)
    assert [r["assessment_id"] for r in rows] == [f"Q{n}" if n % 7 == 3 else f"G{n}" for n in range(300)]
    ragged = [r for r in rows if r["result_code"] == "RAGGED_ROW"]
    assert all(r["message"].startswith(f"line {int(r['assessment_id'][1:]) + 2}:") for r in ragged)
    assert summary.codes["RAGGED_ROW"] == len(ragged) == 43


def test_cp1252_file_is_read_with_a_warning_naming_the_file(tmp_path, profiles):
    data = file_of([*GOOD[:AT], row(assessment_id="A\u00a31"), *GOOD[AT:]]).decode("utf-8").encode("cp1252")
    rows, summary = cluster_text(tmp_path, "excel", data, profiles)
    assert rows[AT]["assessment_id"] == "A\u00a31" and rows[AT]["result_code"] == "OK"
    assert summary.warnings == [f"{tmp_path / 'excel.csv'}: not UTF-8; read as Windows-1252 (cp1252), as Excel saves CSV files"]


def test_cp1252_byte_after_the_probe_restarts_the_read(tmp_path, profiles, clean, monkeypatch):
    monkeypatch.setattr(batch, "read_layout", functools.partial(read_layout, probe=len(HEADER) + 10))
    data = file_of([*GOOD, row(assessment_id="Z\u00a3")]).decode("utf-8").encode("cp1252")
    rows, summary = cluster_text(tmp_path, "late", data, profiles)
    assert rows[:-1] == clean and rows[-1]["assessment_id"] == "Z\u00a3"
    assert len(summary.warnings) == 1 and "cp1252" in summary.warnings[0] and summary.rows == len(GOOD) + 1


@pytest.mark.parametrize(
    "name, data",
    [
        ("BOM and CRLF", b"\xef\xbb\xbf" + file_of(GOOD, "\r\n")),
        ("unquoted header", file_of(GOOD).replace(HEADER.encode(), HEADER.replace('"', "").encode(), 1)),
        ("case-varied, padded header", file_of(GOOD).replace(HEADER.encode(), HEADER.replace('"assessment_id"', '" Assessment_ID "').replace('"item_01"', "ITEM_01").encode(), 1)),
        ("unknown extra columns, one named like ours in another case", ("\n".join([HEADER + ',"notes","Cluster"', *(r + ',x,y' for r in GOOD)]) + "\n").encode()),
    ],
)
def test_layout_variants_cluster_identically(tmp_path, profiles, clean, name, data):
    rows, summary = cluster_text(tmp_path, "variant", data, profiles)
    assert rows == clean and summary.warnings == []


FILE_CASES = [
    ("empty file", b"", "empty file (no header row)"),
    ("only a BOM", b"\xef\xbb\xbf\r\n", "empty file (no header row)"),
    ("neither UTF-8 nor cp1252", HEADER.encode() + b"\n\x81\x8d\x8f\x90\x9d\n", "neither UTF-8 nor Windows-1252 text"),
    ("duplicate column", (HEADER + ',"item_01"').encode() + b"\n", "column item_01 appears twice (columns 2 and 24)"),
    ("duplicate column, case-varied", (HEADER + ',"Item_01"').encode() + b"\n", "column item_01 appears twice"),
    ("missing required column", HEADER.replace('"hist_e",', "").encode() + b"\n", "missing required column(s): hist_e"),
    ("NUL in the header", HEADER.replace("item_05", "item\x0005").encode() + b"\n", "the header row holds a NUL byte"),
]


@pytest.mark.parametrize("name, data, message", FILE_CASES, ids=[c[0] for c in FILE_CASES])
def test_file_level_problems_are_refused_in_one_line(tmp_path, name, data, message):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(data)
    result = run_main("cluster", "--in", src, "--out", out, "--quiet")
    assert_one_line_error(result, 2, message, "[UNREADABLE_FILE]", str(src))
    assert not out.exists() and list(tmp_path.iterdir()) == [src], "nothing written"


def test_header_only_file_gives_header_only_output(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "out.csv"
    src.write_bytes(file_of([]))
    assert run_main("cluster", "--in", src, "--out", out, "--quiet").exit_code == 0
    assert out.read_text().splitlines() == [(GOLDEN / "allocations.csv").read_text().splitlines()[0]]


def test_cli_prints_the_cp1252_warning_and_writes_into_a_new_folder(tmp_path):
    src, out = tmp_path / "in.csv", tmp_path / "new" / "deeper" / "out.csv"
    src.write_bytes(file_of([row(assessment_id="\u00a31")]).decode().encode("cp1252"))
    result = run_main("cluster", "--in", src, "--out", out, "--quiet")
    assert result.exit_code == 0 and "Traceback" not in result.output
    assert f"warning: {src}: not UTF-8; read as Windows-1252" in result.stderr
    assert out.read_text(encoding="utf-8").splitlines()[1].startswith('"\u00a31","')


def test_bad_arguments_answer_in_one_line(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(file_of(GOOD))
    bad_profiles = tmp_path / "p.yaml"
    bad_profiles.write_text("clusters: [\n")
    assert_one_line_error(run_main("cluster", "--in", src, "--out", tmp_path / "o.csv", "--profiles", tmp_path / "nope.yaml"), 2, "no such profile set file")
    assert_one_line_error(run_main("cluster", "--in", src, "--out", tmp_path / "o.csv", "--profiles", bad_profiles), 2, "not a valid profile set", "[BAD_PROFILE_SET]")
    assert_one_line_error(run_main("cluster", "--in", tmp_path, "--out", tmp_path / "o.csv"), 2, "no such file")
    assert_one_line_error(run_main("reference", "no-such-dataset"), 5, "no reference dataset named 'no-such-dataset'; known: ", "clusters")
    assert_one_line_error(run_main("reference", "clusters", "--on", "03/2024"), 2, "--on", "use YYYY-MM-DD")
    assert_one_line_error(run_main("explain"), 2, "give --ratings")
    assert_one_line_error(run_main("explain", "--ratings", "1,2"), 2, "--ratings needs 18 values, got 2")
    assert_one_line_error(run_main("confirm", "--in", src, "--decisions", tmp_path / "d.csv", "--out", tmp_path / "o.csv"), 2, "d.csv: no such file")
    assert_one_line_error(run_main("calibrate", "--in", src, "--out", tmp_path / "p2.yaml", "--method", "magic"), 2, "--method")
    assert_one_line_error(run_main("calibrate", "--in", src, "--out", tmp_path / "p2.yaml", "--as-of", "2024/01/01"), 2, "--as-of")
