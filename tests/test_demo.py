"""The README's main job runs end to end on the embedded default and produces every role's output."""

from __future__ import annotations

import csv

import pytest
from typer.testing import CliRunner

from openpbr.cli import app


@pytest.mark.slow
def test_demo_runs_end_to_end(tmp_path):
    out = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", "--out", str(out), "--people", "600"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    for name in ("allocations.csv", "records-month.md", "statements-2024-03.csv", "statements-2024-03.pdf",
                 "indicators.csv", "gaming-findings.csv", "outcomes-report.pdf", "openpbr-demo.sqlite"):
        assert (out / name).stat().st_size > 0, name
    assert "Audit chain intact" in result.output
    assert "My care cluster:" in result.output and "My next review is due by" in result.output
    lines = list(csv.DictReader((out / "statements-2024-03.csv").open()))
    assert {row["contract_id"] for row in lines} >= {"R01-01X-CLUSTER", "R02-01X-PRORATA"}
    paid = [row for row in lines if row["line_no"]]
    assert paid and all(row["trace"] and row["code"] for row in paid), "every payment line has a result code and a trace"
    from decimal import Decimal

    for contract in {row["contract_id"] for row in paid}:
        total = [Decimal(r["amount_gbp"]) for r in lines if r["contract_id"] == contract and r["code"] == "TOTAL"]
        assert total == [sum(Decimal(r["amount_gbp"]) for r in paid if r["contract_id"] == contract)], contract
    assert (out / "statements-2024-03.pdf").read_bytes()[:4] == b"%PDF"
