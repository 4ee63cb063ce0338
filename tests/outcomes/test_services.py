"""The outcomes service: explicit windows, scoped reads, checks counted, Excel-safe outputs, one-line errors."""

from __future__ import annotations

import csv
from datetime import date

import pytest

from openpbr.access import Role, Scope
from openpbr.errors import InputError
from openpbr.outcomes.scenario import Scenario
from openpbr.services import outcomes as svc
from tests.clustering.boundary import assert_one_line_error, run_main
from tests.outcomes.conftest import build_march

ALL = Scope.local_operator()
MARCH = svc.Window(date(2024, 3, 1), date(2024, 3, 31))


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    folder = tmp_path_factory.mktemp("march")
    build_march().write_csv(folder)
    return folder


@pytest.mark.parametrize(
    "first, last, expected",
    [
        ("2024-03", "2024-03", (date(2024, 3, 1), date(2024, 3, 31))),
        ("2023-04", "2024-02", (date(2023, 4, 1), date(2024, 2, 29))),
        ("2024-03-15", "2024-04-02", (date(2024, 3, 1), date(2024, 4, 30))),
    ],
)
def test_windows_are_whole_months(first, last, expected):
    w = svc.Window.months(first, last)
    assert (w.start, w.end) == expected


@pytest.mark.parametrize(
    "first, last, message",
    [
        ("03/2024", "2024-03", "--from: '03/2024' is not a month; use YYYY-MM (for example 2024-03)"),
        ("2024-03", "2024-13", "--to: '2024-13' is not a month; use YYYY-MM"),
        ("2024-02-30", "2024-03", "--from: '2024-02-30' is not a month"),
        ("٢٠٢٤-03", "2024-03", "--from:"),
        ("", "2024-03", "--from: '' is not a month"),
        ("2024-04", "2024-03", "the window starts (2024-04-01) after it ends (2024-03-31)"),
    ],
)
def test_bad_windows_are_one_line_input_errors(first, last, message):
    with pytest.raises(InputError) as err:
        svc.Window.months(first, last)
    assert message in str(err.value) and err.value.code == "BAD_DATE"


def test_at_most_one_source_and_none_means_the_default_database(tmp_path, monkeypatch):
    with pytest.raises(InputError, match="at most one of --db, --csv or --synthetic"):
        svc.Source(csv_folder="x", synthetic_seed=1)
    monkeypatch.setenv("OPENPBR_DATABASE_URL", f"sqlite:///{tmp_path / 'default.sqlite'}")
    from openpbr.errors import DatabaseError

    with pytest.raises(DatabaseError, match="no database at"):
        svc.indicators(svc.Source(), MARCH, ALL)
    assert not (tmp_path / "default.sqlite").exists()


def trust_value(run, indicator):
    rows = [r for r in run.results.to_pylist() if r["indicator_id"] == indicator and r["unit_type"] == "trust" and r["period"] == "2024-03"]
    return rows[0]["denominator"] if rows else 0


def test_scope_limits_every_figure_to_the_callers_organisations(extracts):
    source = svc.Source(csv_folder=extracts)
    everyone = svc.indicators(source, MARCH, ALL)
    c1 = svc.indicators(source, MARCH, Scope("comm-1", Role.COMMISSIONER, frozenset({"C1"})))
    nobody = svc.indicators(source, MARCH, Scope("nobody", Role.COMMISSIONER))
    assert {r["unit"] for r in c1.results.to_pylist() if r["unit_type"] == "commissioner"} == {"C1"}
    assert {r["unit"] for r in everyone.results.to_pylist() if r["unit_type"] == "commissioner"} == {"C1", "C2"}
    # the trust-wide caseload counts only C1's episodes (E1 E2 E9 E10 open at month end), not C2's
    assert 0 < trust_value(c1, "within_review_pct") < trust_value(everyone, "within_review_pct")
    assert nobody.results.num_rows == 0 or all(r["denominator"] == 0 for r in nobody.results.to_pylist())
    assert all(r.indicator_id for r in c1.rows())


def test_gaming_counts_checks_run_as_well_as_flags():
    result = svc.gaming(svc.Source(synthetic_seed=3), svc.Window.months("2022-04", "2025-03"), ALL)
    assert result.checks_run == result.findings.num_rows > 0
    assert result.summary() == f"{result.checks_run} checks run, {len(result.flagged) or 'none'} flagged"
    assert {f.unit for f in result.flagged} >= {"RUP"}


def test_report_says_how_many_checks_ran_even_when_none_flagged(extracts, tmp_path):
    r = svc.report(svc.Source(csv_folder=extracts), MARCH, ALL, tmp_path / "deep" / "r.html", "March")
    html = r.path.read_text()
    assert f"{r.checks_run} checks run, none flagged" in html and r.flagged == 0
    assert r.summary == f"{r.checks_run} checks run, none flagged"


def test_spc_series_is_typed_and_serialisable():
    run = svc.indicators(svc.Source(synthetic_seed=3), svc.Window.months("2023-04", "2024-03"), ALL)
    s = svc.spc_series(run.results, "within_review_pct")
    assert len(s.points) == 12 and s.mean is not None and s.lcl <= s.mean <= s.ucl
    assert '"variation"' in s.model_dump_json()


def test_indicator_and_gaming_csvs_neutralise_formula_units(tmp_path):
    s = Scenario()
    evil = '=HYPERLINK("http://x","y")'
    e = s.episode("2024-01-10", provider="=cmd|' /C calc'!A0", team=evil, commissioner="C1")
    s.period(e, "04", "2024-01-15", assessment_id=s.assess(e, "2024-01-15", 18))
    folder = tmp_path / "ext"
    s.build().write_csv(folder)
    assert "'=HYPERLINK" in (folder / "episodes.csv").read_text()
    # a neutralised extract read back is still one team, now shown as text
    out = tmp_path / "missing" / "folder" / "ind.csv"
    result = run_main("outcomes", "indicators", "--from", "2024-03", "--to", "2024-03", "--csv", folder, "--out", out)
    assert result.exit_code == 0, result.output
    units = {r["unit"] for r in csv.DictReader(out.open())}
    assert all(not u.startswith(("=", "+", "@")) for u in units)
    assert "''=HYPERLINK(\"http://x\",\"y\")" not in units, "an apostrophe is added once, not twice"


def test_bad_arguments_and_files_answer_in_one_line(extracts, tmp_path):
    w = ("--from", "2024-03", "--to", "2024-03")
    assert_one_line_error(run_main("outcomes", "indicators", "--from", "03/2024", "--to", "2024-03", "--csv", extracts), 2, "use YYYY-MM", "[BAD_DATE]")
    assert_one_line_error(run_main("outcomes", "gaming", "--from", "2024-04", "--to", "2024-03", "--csv", extracts), 2, "after it ends")
    assert_one_line_error(run_main("outcomes", "indicators", *w, "--csv", tmp_path / "nope"), 2, "no such folder")
    assert_one_line_error(run_main("outcomes", "indicators", *w, "--csv", extracts, "--synthetic", "1"), 2, "at most one of --db, --csv or --synthetic")
    typo = tmp_path / "typo.sqlite"
    assert_one_line_error(run_main("outcomes", "indicators", *w, "--db", f"sqlite:///{typo}"), 4, "no database at", "[DATABASE]")
    assert not typo.exists(), "a read never creates an empty database file"
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    assert_one_line_error(run_main("outcomes", "report", *w, "--db", f"sqlite:///{empty}"), 4, "not initialised")
    assert_one_line_error(run_main("outcomes", "gaming", *w, "--csv", extracts, "--set", "nonsense"), 2, "--set wants group.field=number")
    assert_one_line_error(run_main("outcomes", "gaming", *w, "--csv", extracts, "--set", "upcoding_drift.z=high"), 2, "--set wants")
    assert_one_line_error(run_main("outcomes", "gaming", *w, "--csv", extracts, "--set", "no_group.z=1"), 2, "no threshold group 'no_group'")
    assert_one_line_error(run_main("outcomes", "pairs", *w, "--csv", extracts, "--basis", "person"), 2, "--basis")
    assert_one_line_error(run_main("outcomes", "charts", "--results", tmp_path / "none.csv"), 2, "no such file")
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    assert_one_line_error(run_main("outcomes", "charts", "--results", junk), 2, "not an indicator results CSV")
    assert_one_line_error(run_main("outcomes", "charts", "--results", junk, "--unit-type", "planet"), 2, "--unit-type: 'planet' is not one of")
    assert_one_line_error(run_main("outcomes", "definitions", "--on", "31/03/2024"), 2, "--on", "YYYY-MM-DD")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "episodes.csv").write_text("episode_id\n1\n")
    assert_one_line_error(run_main("outcomes", "indicators", *w, "--csv", bad), 2, "missing extract")
