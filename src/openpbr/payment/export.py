"""Export statements: CSV (one row per line, with the trace as JSON) and PDF.

Both are written atomically (a temporary name renamed into place); CSV cells
are made Excel-safe (:mod:`openpbr.io.safe`). The PDF shows amounts in pounds
(``£1,234.56``, ``-£12.00``), wraps long cells inside their column, and puts
each line's trace on its own appendix page(s).
"""

from __future__ import annotations

import json
from pathlib import Path

from openpbr.io.safe import atomic_path, write_csv_rows
from openpbr.payment.money import fmt, pounds
from openpbr.payment.settle import SettlementRun
from openpbr.payment.statement import Statement

CSV_COLUMNS = ["run_key", "contract_id", "commissioner", "provider", "kind", "period_start", "period_end", "line_no",
               "model", "rule", "code", "description", "quantity", "unit", "amount_gbp", "trace"]


def _statements(run: SettlementRun) -> list[Statement]:
    return run.all_statements()


def _csv_rows(run: SettlementRun):
    for st in _statements(run):
        base = [run.run_key, st.contract_id, st.commissioner, st.provider, st.kind, st.period_start, st.period_end]
        for n, ln in enumerate(st.lines, start=1):
            yield base + [n, ln.model, ln.rule, ln.code.value, ln.description, ln.quantity, ln.unit,
                          pounds(ln.amount), json.dumps(ln.trace, sort_keys=True, default=str)]
        yield base + ["", "", "", "TOTAL", "Statement total (sum of lines)", "", "", pounds(st.total), ""]
        yield base + ["", "", "", "ON_ACCOUNT", "Payments on account", "", "", pounds(st.on_account), ""]
        yield base + ["", "", "", "BALANCE", "Balance due (negative: clawback)", "", "", pounds(st.balance), ""]


def write_csv(run: SettlementRun, path: str | Path) -> Path:
    """Every line of every statement; a TOTAL row per statement (the sum of its lines) and its balance."""
    return write_csv_rows(path, CSV_COLUMNS, _csv_rows(run))


def _latin(s: str) -> str:
    """The core PDF fonts are Latin-1 (which has the pound sign): replace the few other symbols used."""
    return (s.replace("→", "->").replace("–", "-").replace("—", "-").replace("×", "x")
            .encode("latin-1", "replace").decode("latin-1"))


def _quantity(q, unit: str) -> str:
    if not unit:
        return ""
    return f"{q:,.2f}".rstrip("0").rstrip(".") + f" {unit}" if isinstance(q, float) else f"{q:,} {unit}"


HEADINGS = ("#", "Description", "Code", "Quantity", "Rule", "Amount")
WIDTHS = (10, 103, 42, 34, 46, 38)  # mm, landscape A4 less margins (273 mm)
ALIGN = ("RIGHT", "LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT")


def write_pdf(run: SettlementRun, path: str | Path, title: str = "OpenPbR settlement statements") -> Path:
    """One page (or more) per statement: lines, total, payments on account, balance, price versions;
    then an appendix with each line's trace on its own page(s)."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_margins(12, 10, 12)
    head = FontFace(emphasis="BOLD", fill_color=(230, 230, 230))
    for st in _statements(run):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 14)
        kind = {"adjustment": " (adjustment against the stored run)", "exceptions": " (not covered by a contract)",
                "reconciliation": " (reconciliation)"}.get(st.kind, "")
        pdf.multi_cell(0, 8, _latin(f"{title}: {st.contract_id}{kind}"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(0, 5, _latin(f"Commissioner {st.commissioner or '-'}   Provider {st.provider or '-'}   "
                                    f"Period {run.window.label()}   Mode {run.mode}   Run {run.run_key}"),
                       new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 8)
        prices: set[str] = set()
        provisional = False
        with pdf.table(col_widths=WIDTHS, text_align=ALIGN, headings_style=head, line_height=4.2,
                       first_row_as_headings=True, repeat_headings=1) as table:
            table.row([*HEADINGS])
            for n, ln in enumerate(st.lines, start=1):
                table.row([str(n), _latin(ln.description), ln.code.value, _latin(_quantity(ln.quantity, ln.unit)),
                           ln.rule, _latin(fmt(ln.amount))])
                prices.update(ln.trace.get("prices", []))
                provisional |= bool(ln.trace.get("provisional"))
        pdf.ln(1)
        pdf.set_font("Helvetica", "B", 9)
        rows = [("Total (sum of lines)", st.total)]
        if st.kind not in ("exceptions", "adjustment"):
            rows += [("Payments on account", st.on_account), ("Balance due (negative: clawback)", st.balance)]
        for label, amount in rows:
            pdf.cell(sum(WIDTHS[:-1]), 6, label, border=1, align="R")
            pdf.cell(WIDTHS[-1], 6, _latin(fmt(amount)), border=1, align="R", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 7)
        pdf.ln(2)
        pdf.multi_cell(0, 4, new_x="LMARGIN", new_y="NEXT", text=_latin(
            "Amounts in pounds sterling. Rounding: each priced unit rounded half-up to the penny once; lines are sums "
            "of whole pence; the total is the sum of the lines. Each line's trace is in the appendix."))
        if provisional:
            pdf.multi_cell(0, 4, new_x="LMARGIN", new_y="NEXT", text=_latin(
                "PROVISIONAL: some prices are illustrative [D] or unconfirmed [U], not national tariffs."))
        for p in sorted(prices):
            pdf.multi_cell(0, 4, new_x="LMARGIN", new_y="NEXT", text=_latin(f"Price version: {p}"))
    _appendix(pdf, run)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return Path(path)


def _appendix(pdf, run: SettlementRun) -> None:
    """Each line's trace on its own page(s): rule, inputs, prices, formula, rounding."""
    for st in _statements(run):
        for n, ln in enumerate(st.lines, start=1):
            pdf.add_page()
            pdf.set_font("Helvetica", "B", 11)
            pdf.multi_cell(0, 6, _latin(f"Appendix: trace of {st.contract_id} ({st.kind}) line {n}"),
                           new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 9)
            pdf.multi_cell(0, 5, _latin(f"{ln.description}   {ln.code.value}   {_quantity(ln.quantity, ln.unit)}   "
                                        f"{fmt(ln.amount)}"), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
            pdf.set_font("Courier", "", 8)
            text = json.dumps(ln.trace, indent=2, sort_keys=True, default=str, ensure_ascii=False)
            pdf.multi_cell(0, 3.8, _latin(text), new_x="LMARGIN", new_y="NEXT", wrapmode="CHAR")
