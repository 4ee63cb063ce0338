"""One-page commissioner report (PDF via fpdf2, or HTML): latest value, SPC
variation and assurance per indicator for the trust, plus gaming flags."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from openpbr.io.safe import atomic_path
from openpbr.outcomes.definitions import IndicatorDefinition
from openpbr.outcomes.spc import series, xmr


def summary_rows(results: pa.Table, definitions: list[IndicatorDefinition], unit_type="trust", unit="all") -> list[dict]:
    rows = []
    for d in definitions:
        labels, vals, low = series(results, d.id, unit_type, unit)
        ok = ~np.isnan(vals)
        if not ok.any():
            continue
        latest = vals[ok][-1]
        chart = xmr(vals, labels, d.low_is_good)
        variation = chart.variation[-1] if len(chart.values) >= 2 else "too few points"
        shown = f"{100 * latest:.1f}%" if d.kind == "proportion" else f"{latest:,.0f}"
        rows.append({"id": d.id, "title": d.title, "latest_period": chart.labels[-1], "latest": shown,
                     "mean": (f"{100 * chart.mean:.1f}%" if d.kind == "proportion" else f"{chart.mean:,.0f}"),
                     "variation": variation, "provisional": d.provisional, "evidence": d.evidence})
    return rows


def _flags(findings: pa.Table | None) -> list[dict]:
    if findings is None:
        return []
    return [r for r in findings.to_pylist() if r["flagged"]]


def checks_line(findings: pa.Table | None) -> str:
    """"84 checks run, none flagged": a clean result is stated, not left as a blank."""
    if findings is None:
        return "no gaming checks run"
    n = len(_flags(findings))
    return f"{findings.num_rows} checks run, {'none' if n == 0 else n} flagged"


def render_html(path: str | Path, title: str, start: date, end: date, results, definitions, findings=None) -> Path:
    rows = summary_rows(results, definitions)
    flags = _flags(findings)
    body = [f"<h1>{html.escape(title)}</h1><p>{start:%b %Y} to {end:%b %Y}. Variation is from XmR charts (Making Data Count), not RAG.</p>",
            "<table border=1 cellpadding=3><tr><th>Indicator</th><th>Latest</th><th>Mean</th><th>Variation (latest month)</th><th>Evidence</th></tr>"]
    for r in rows:
        prov = " (provisional)" if r["provisional"] else ""
        body.append(f"<tr><td>{html.escape(r['title'])}</td><td>{r['latest']} ({r['latest_period']})</td><td>{r['mean']}</td>"
                    f"<td>{r['variation'].replace('_', ' ')}</td><td>[{r['evidence']}]{prov}</td></tr>")
    body.append(f"</table><h2>Gaming and selection checks: {checks_line(findings)}</h2>")
    body.append("<ul>" + "".join(f"<li><b>{html.escape(f['unit'])}</b> {f['detector']}: {html.escape(f['reason'])}</li>" for f in flags) + "</ul>" if flags else "<p>No flags.</p>")
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text("<!doctype html><meta charset=utf-8><title>" + html.escape(title) + "</title>" + "".join(body), encoding="utf-8")
    return path


def _latin(text: str) -> str:
    return text.replace("£", "GBP ").replace("->", "to").encode("latin-1", "replace").decode("latin-1")


def render_pdf(path: str | Path, title: str, start: date, end: date, results, definitions, findings=None, chart_png: str | Path | None = None) -> Path:
    from fpdf import FPDF

    rows = summary_rows(results, definitions)
    flags = _flags(findings)
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.cell(0, 8, _latin(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    pdf.cell(0, 5, _latin(f"{start:%b %Y} to {end:%b %Y}. Variation from XmR charts (Making Data Count rules), not RAG. [U]/[D] = provisional."), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    widths = (92, 28, 20, 32, 18)
    pdf.set_font("Helvetica", "B", 8)
    for w, h in zip(widths, ("Indicator", "Latest", "Mean", "Variation", "Evidence")):
        pdf.cell(w, 5, h, border=1)
    pdf.ln()
    pdf.set_font("Helvetica", "", 7)
    for r in rows:
        cells = (r["title"][:70], f"{r['latest']} ({r['latest_period']})", r["mean"], r["variation"].replace("_", " "),
                 f"[{r['evidence']}]" + (" prov." if r["provisional"] else ""))
        for w, c in zip(widths, cells):
            pdf.cell(w, 4.5, _latin(c), border=1)
        pdf.ln()
    if chart_png and Path(chart_png).exists():
        pdf.ln(2)
        pdf.image(str(chart_png), w=150)
    pdf.ln(2)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 5, f"Gaming and selection checks: {checks_line(findings)}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 6.5)
    for f in flags[:14]:  # one page: the rest are in the CSV
        pdf.multi_cell(0, 3.2, _latin(f"{f['unit_type']} {f['unit']} - {f['detector']}: {f['reason']}"), new_x="LMARGIN", new_y="NEXT")
        if pdf.get_y() > 285:
            break
    if len(flags) > 14:
        pdf.cell(0, 4, f"... and {len(flags) - 14} more in the findings CSV", new_x="LMARGIN", new_y="NEXT")
    path = Path(path)
    with atomic_path(path) as tmp:
        pdf.output(str(tmp))
    return path
