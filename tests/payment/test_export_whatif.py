"""CSV and PDF statements; what-if tables and charts."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal

from openpbr.payment import whatif
from openpbr.payment.contracts import demo_contracts_dir, load_contracts
from openpbr.payment.export import write_csv, write_pdf
from openpbr.payment.settle import settle
from openpbr.payment.synthetic import synthetic_bundle


def _bundle():
    return synthetic_bundle(400, ["RDEMO"], ["ICB-A", "ICB-B", "ICB-C", "LA-D", "ICB-E"], date(2024, 4, 1),
                            date(2025, 4, 1), acute_provider="RACUTE", spells=100)


def test_csv_lines_add_up_to_totals_and_pdf_is_written(tmp_path):
    run = settle(load_contracts(demo_contracts_dir()), _bundle(), date(2024, 5, 1), date(2024, 6, 1))
    path = write_csv(run, tmp_path / "s.csv")
    rows = list(csv.DictReader(path.open()))
    for st in run.statements:
        mine = [r for r in rows if r["contract_id"] == st.contract_id]
        lines = sum(Decimal(r["amount_gbp"]) for r in mine if r["line_no"])
        total = next(Decimal(r["amount_gbp"]) for r in mine if r["code"] == "TOTAL")
        assert lines == total == Decimal(st.total) / 100
    pdf = write_pdf(run, tmp_path / "s.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


def test_whatif_models_side_by_side_and_price_change(tmp_path):
    b = _bundle()
    a, z = date(2024, 4, 1), date(2024, 7, 1)
    rows = whatif.compare_models(b, "RDEMO", "ICB-A", a, z, "1200000.00", "2000.00")
    assert [r["month"] for r in rows] == ["2024-04", "2024-05", "2024-06"]
    assert set(rows[0]) == {"month", *whatif.SCENARIOS}
    assert rows[0]["block"] == 9863014  # £1.2m x 30/365 days (daily accrual over the contract year) = £98,630.14
    assert whatif.chart(rows, tmp_path / "m.png", "t").stat().st_size > 1000
    base = whatif.scenario_contract("day", whatif.SCENARIOS["cluster per day"].format(
        prices="payment_cluster_prices_demo"), "RDEMO", "ICB-A", a, z)
    pc = whatif.price_change(b, base, a, z, "payment_cluster_prices_demo_uplift")
    assert all(r["new"] > r["current"] for r in pc)  # +3% uplift, shadow prices allowed in what-if
    assert "TOTAL" in whatif.table_text(pc)
