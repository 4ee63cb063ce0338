"""Statement files: CSV through the safe writer, PDF in pounds with each line's trace in an appendix."""

from __future__ import annotations

import csv
import shutil
import subprocess

import pytest

from openpbr.payment.codes import PayCode
from openpbr.payment.context import Window
from openpbr.payment.export import write_csv, write_pdf
from openpbr.payment.settle import SettlementRun
from openpbr.payment.statement import Line, Statement

TRACE = {"rule": "test", "inputs": {"n": 1}, "prices": [], "formula": "f", "rounding": "r", "provisional": False}


def _run():
    from datetime import date

    lines = [Line("=HYPERLINK(1)", "block", "block.daily", PayCode.PRICED, "Block, " + "very long description " * 8,
                  123456789.25, "cluster days", 123456, TRACE),
             Line("=HYPERLINK(1)", "outcome", "outcome.withhold", PayCode.ADJUSTMENT, "Withhold", 0, "", -1200, TRACE)]
    st = Statement("=HYPERLINK(1)", "CCG1", "P1", date(2024, 5, 1), date(2024, 6, 1), lines, 100000)
    ex = Statement("NON-CONTRACT", "", "", date(2024, 5, 1), date(2024, 6, 1), [], 0, kind="exceptions")
    return SettlementRun("k" * 24, Window(date(2024, 5, 1), date(2024, 6, 1)), "live", [st], ex)


def test_csv_is_excel_safe_and_adds_up(tmp_path):
    rows = list(csv.DictReader((write_csv(_run(), tmp_path / "out" / "s.csv")).open(encoding="utf-8")))
    assert {r["contract_id"] for r in rows} == {"'=HYPERLINK(1)"}
    assert [r["amount_gbp"] for r in rows] == ["1234.56", "-12.00", "1222.56", "1000.00", "222.56"]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")
def test_pdf_shows_pounds_and_one_trace_page_per_line(tmp_path):
    pdf = write_pdf(_run(), tmp_path / "s.pdf")
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert "£1,234.56" in pages[0] and "-£12.00" in pages[0] and "£1,222.56" in pages[0]
    assert "123,456,789.25" in pages[0].replace("\n", " ")
    appendix = [p for p in pages if "Appendix: trace of" in p]
    assert len(appendix) == 2 and "line 1" in appendix[0] and "line 2" in appendix[1]
    assert '"rule": "test"' in appendix[0]
