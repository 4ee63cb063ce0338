"""`openpbr outcomes ...` end to end on CSV extracts of a small seeded trust."""

import json

import pyarrow.csv as pacsv
import pytest
from typer.testing import CliRunner

from openpbr.outcomes.cli import app

runner = CliRunner()


def ok(args):
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output + repr(res.exception)
    return res.output


@pytest.fixture(scope="module")
def extracts(tmp_path_factory):
    d = tmp_path_factory.mktemp("ext")
    ok(["synthetic", "--out", str(d), "--people", "3000", "--seed", "3"])
    assert json.loads((d / "planted.json").read_text())["upcoders"] == ["RUP"]
    return d


def test_indicators_charts_gaming_report(extracts, tmp_path):
    res = tmp_path / "ind.csv"
    ok(["indicators", "--from", "2022-04", "--to", "2025-03", "--csv", str(extracts), "--out", str(res)])
    t = pacsv.read_csv(res)
    assert {"indicator_id", "unit_type", "unit", "period", "numerator", "denominator", "value", "definition_ref", "trace"} <= set(t.column_names)

    charts = tmp_path / "charts"
    out = ok(["charts", "--results", str(res), "--out-dir", str(charts), "--indicator", "within_review_pct", "--indicator", "clustered_people"])
    assert (charts / "within_review_pct__trust_all.png").stat().st_size > 1000
    assert (charts / "xmr_trust.csv").exists() and "2 charts" in out

    ok(["charts", "--results", str(res), "--out-dir", str(charts), "--unit-type", "provider", "--unit", "RUP", "--indicator", "red_rule_breach_rate"])
    assert (charts / "red_rule_breach_rate__provider_RUP.png").exists()

    f = tmp_path / "f.csv"
    out = ok(["gaming", "--from", "2022-04", "--to", "2025-03", "--csv", str(extracts), "--out", str(f), "--funnel", str(tmp_path / "funnel.png"),
              "--set", "upcoding_drift.min_allocations=50"])
    assert (tmp_path / "funnel.png").exists()
    rows = pacsv.read_csv(f).to_pylist()
    assert rows and {r["detector"] for r in rows} >= {"upcoding_drift", "selection_parking", "implausible_improvement"}

    ok(["report", "--from", "2022-04", "--to", "2025-03", "--csv", str(extracts), "--out", str(tmp_path / "r.pdf")])
    assert (tmp_path / "r.pdf").read_bytes()[:4] == b"%PDF"
    ok(["report", "--from", "2022-04", "--to", "2025-03", "--csv", str(extracts), "--out", str(tmp_path / "r.html")])
    assert "Making Data Count" in (tmp_path / "r.html").read_text()


def test_pairs_and_transitions(extracts, tmp_path):
    out = ok(["pairs", "--from", "2022-04", "--to", "2025-03", "--csv", str(extracts), "--out", str(tmp_path / "p.csv"),
              "--transitions", str(tmp_path / "t.csv"), "--basis", "cluster_period"])
    assert "paired" in out
    assert pacsv.read_csv(tmp_path / "t.csv").num_rows > 0


def test_definitions_lists_owners(monkeypatch):
    from rich.console import Console

    from openpbr.outcomes import cli as outcomes_cli

    monkeypatch.setattr(outcomes_cli, "console", Console(width=400))
    res = runner.invoke(app, ["definitions"])
    assert res.exit_code == 0 and "within_review_pct" in res.output and "placeholder" in res.output


def test_one_source_only(extracts):
    res = runner.invoke(app, ["indicators", "--from", "2022-04", "--to", "2022-05", "--csv", str(extracts), "--synthetic", "1"])
    assert res.exit_code != 0
