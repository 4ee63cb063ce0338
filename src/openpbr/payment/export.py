"""Export statements: CSV (one row per line, with the trace as JSON) and PDF."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from openpbr.payment.money import fmt, pounds
from openpbr.payment.settle import SettlementRun
from openpbr.payment.statement import Statement

CSV_COLUMNS = ["run_key", "contract_id", "commissioner", "provider", "period_start", "period_end", "line_no", "model",
               "rule", "code", "description", "quantity", "unit", "amount_gbp", "trace"]


def _statements(run: SettlementRun) -> list[Statement]:
    return run.statements + ([run.exceptions] if run.exceptions.lines else [])


def write_csv(run: SettlementRun, path: str | Path) -> Path:
    """Every line of every statement; a TOTAL row per statement (the sum of its lines) and its balance."""
    path = Path(path)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_COLUMNS)
        for st in _statements(run):
            base = [run.run_key, st.contract_id, st.commissioner, st.provider, st.period_start, st.period_end]
            for n, ln in enumerate(st.lines, start=1):
                w.writerow(base + [n, ln.model, ln.rule, ln.code.value, ln.description, ln.quantity, ln.unit,
                                   pounds(ln.amount), json.dumps(ln.trace, sort_keys=True, default=str)])
            w.writerow(base + ["", "", "", "TOTAL", "Statement total (sum of lines)", "", "", pounds(st.total), ""])
            w.writerow(base + ["", "", "", "ON_ACCOUNT", "Payments on account", "", "", pounds(st.on_account), ""])
            w.writerow(base + ["", "", "", "BALANCE", "Balance due (negative: clawback)", "", "", pounds(st.balance), ""])
    return path


def _latin(s: str) -> str:
    """The core PDF fonts are Latin-1: spell the pound sign out where needed."""
    return s.replace("£", "GBP ").replace("→", "->").replace("–", "-").encode("latin-1", "replace").decode("latin-1")


def write_pdf(run: SettlementRun, path: str | Path, title: str = "OpenPbR settlement statements") -> Path:
    """One page (or more) per contract: lines, total, payments on account, balance, price versions."""
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    widths = [10, 120, 30, 28, 45, 40]
    for st in _statements(run):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        pdf.cell(0, 8, _latin(f"{title}: {st.contract_id}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.cell(0, 5, _latin(f"Commissioner {st.commissioner or '-'}  Provider {st.provider or '-'}  "
                              f"Period {run.window.label()}  Mode {run.mode}  Run {run.run_key}"),
                 new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 8)
        for h, wd in zip(["#", "Description", "Code", "Quantity", "Rule", "Amount"], widths):
            pdf.cell(wd, 6, h, border=1)
        pdf.ln()
        pdf.set_font("Helvetica", "", 7.5)
        prices: set[str] = set()
        provisional = False
        for n, ln in enumerate(st.lines, start=1):
            qty = f"{ln.quantity:g} {ln.unit}" if ln.unit else ""
            for val, wd, align in zip([str(n), ln.description, ln.code.value, qty, ln.rule, fmt(ln.amount)], widths,
                                      ["L", "L", "L", "R", "L", "R"]):
                pdf.cell(wd, 5, _latin(val)[:95], border=1, align=align)
            pdf.ln()
            prices.update(ln.trace.get("prices", []))
            provisional |= bool(ln.trace.get("provisional"))
        pdf.set_font("Helvetica", "B", 9)
        for label, amount in (("Total (sum of lines)", st.total), ("Payments on account", st.on_account),
                              ("Balance due (negative: clawback)", st.balance)):
            pdf.cell(sum(widths[:-1]), 6, label, border=1, align="R")
            pdf.cell(widths[-1], 6, _latin(fmt(amount)), border=1, align="R")
            pdf.ln()
        pdf.set_font("Helvetica", "", 7)
        pdf.ln(2)
        pdf.multi_cell(0, 4, new_x="LMARGIN", new_y="NEXT", text=_latin("Rounding: each priced unit rounded half-up to the penny once; lines are sums of "
                                    "whole pence; the total is the sum of the lines."))
        if provisional:
            pdf.multi_cell(0, 4, new_x="LMARGIN", new_y="NEXT", text=_latin("PROVISIONAL: some prices are illustrative [D] or unconfirmed [U], not national "
                                        "tariffs."))
        for p in sorted(prices):
            pdf.multi_cell(0, 4, new_x="LMARGIN", new_y="NEXT", text=_latin(f"Price version: {p}"))
    path = Path(path)
    pdf.output(str(path))
    return path
