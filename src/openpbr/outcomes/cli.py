"""`openpbr outcomes ...` commands."""

from __future__ import annotations

import calendar
import json
from datetime import date
from pathlib import Path
from typing import Optional

import pyarrow.csv as pacsv
import typer
from rich.console import Console
from rich.table import Table

from openpbr.cli_args import DB, parse_month_or_date, parse_window

app = typer.Typer(help="Outcomes, quality indicators, SPC charts and gaming detection.", no_args_is_help=True)
console = Console()

FROM = typer.Option(..., "--from", help="first month, YYYY-MM or YYYY-MM-DD")
TO = typer.Option(..., "--to", help="last month, YYYY-MM or YYYY-MM-DD (the whole month is included)")
CSV = typer.Option(None, "--csv", help="folder of CSV extracts (episodes, cluster_periods, assessments, accommodation)")
SYN = typer.Option(None, "--synthetic", help="use the seeded synthetic gaming trust with this seed")


def _month_start(text: str) -> date:
    d = parse_month_or_date(text)
    return date(d.year, d.month, 1)


def _month_end(text: str) -> date:
    d = _month_start(text)
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def _inputs(db: Optional[str], csv: Optional[Path], synthetic: Optional[int], start: date, end: date):
    from openpbr.outcomes.inputs import OutcomeInputs

    parse_window(start, end, inclusive=True)
    chosen = [x is not None for x in (db, csv, synthetic)]
    if sum(chosen) > 1:
        raise typer.BadParameter("give at most one of --db, --csv or --synthetic (default: the database)")
    if not (csv or synthetic is not None):  # the one default database, as every other command
        from openpbr.db import require_database
        from openpbr.outcomes.records_adapter import read_inputs

        return read_inputs(require_database(db), start, end)
    if csv:
        return OutcomeInputs.read_csv(csv)
    from openpbr.outcomes.synthetic import gaming_trust

    return gaming_trust(seed=synthetic)[0]


@app.command()
def definitions() -> None:
    """List the governed indicator definitions in force today."""
    from openpbr.outcomes.definitions import load_definitions

    t = Table("id", "kind", "population", "numerator", "denominator", "low is good", "owner", "next review", "evidence")
    for d in load_definitions():
        t.add_row(d.id, d.kind, d.population, d.numerator, d.denominator, str(d.low_is_good), d.owner, str(d.next_review),
                  d.evidence + (" provisional" if d.provisional else ""))
    for column in t.columns:  # wrap long expressions rather than cut them off
        column.overflow = "fold"
    console.print(t)


@app.command()
def indicators(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    out: Path = typer.Option(Path("indicators.csv"), "--out", help="results CSV"),
) -> None:
    """Compute every indicator per trust, provider, commissioner, team and cluster, for each month."""
    from openpbr.outcomes.indicators import compute_indicators

    s, e = _month_start(start), _month_end(end)
    run = compute_indicators(_inputs(db, csv, synthetic, s, e), s, e)
    pacsv.write_csv(run.results, out)
    console.print(f"{run.results.num_rows} indicator rows -> {out}")
    console.print(f"outcome pairs: {run.populations.pairs.status_counts()}")


@app.command()
def pairs(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    basis: str = typer.Option("episode", help="episode or cluster_period"),
    out: Path = typer.Option(Path("pairs.csv"), "--out"),
    transitions_out: Optional[Path] = typer.Option(None, "--transitions", help="item LL/LH/HL/HH counts CSV"),
) -> None:
    """Paired HoNOS outcomes (first and latest), unpaired rows included with their reason."""
    from openpbr.outcomes.pairing import item_transitions, pair_outcomes

    s, e = _month_start(start), _month_end(end)
    p = pair_outcomes(_inputs(db, csv, synthetic, s, e), basis=basis)
    pacsv.write_csv(p.table, out)
    console.print(f"{p.table.num_rows} rows -> {out}; {p.status_counts()}")
    if transitions_out:
        pacsv.write_csv(item_transitions(p, by="provider"), transitions_out)
        console.print(f"item transitions -> {transitions_out}")


def _parse_overrides(items: list[str]) -> dict:
    out: dict = {}
    for item in items:
        key, _, value = item.partition("=")
        group, _, field = key.partition(".")
        if not field or not value:
            raise typer.BadParameter(f"--set wants group.field=value, got {item!r}")
        out.setdefault(group, {})[field] = float(value)
    return out


@app.command()
def gaming(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    out: Path = typer.Option(Path("gaming_findings.csv"), "--out"),
    set_: list[str] = typer.Option([], "--set", help="override a threshold, e.g. upcoding_drift.z=2.5"),
    funnel: Optional[Path] = typer.Option(None, "--funnel", help="write the provider outcome funnel plot PNG here"),
) -> None:
    """Upcoding, poor-fit pricing, selection (discharge / parking / turned away) and implausible-outcome flags."""
    from openpbr.outcomes.config import cluster_prices, gaming_thresholds, outcome_rules
    from openpbr.outcomes.gaming.context import build_context
    from openpbr.outcomes.gaming.findings import to_table
    from openpbr.outcomes.gaming.runner import run_detectors

    s, e = _month_start(start), _month_end(end)
    th = gaming_thresholds(e, overrides=_parse_overrides(set_))
    prices = cluster_prices(e)
    ctx = build_context(_inputs(db, csv, synthetic, s, e), s, e, outcome_rules(e), prices, th)
    findings = to_table(run_detectors(ctx, th, prices))
    pacsv.write_csv(findings, out)
    flagged = [r for r in findings.to_pylist() if r["flagged"]]
    for r in flagged:
        console.print(f"[bold]{r['unit_type']} {r['unit']}[/bold] {r['detector']}: {r['reason']}")
    console.print(f"{len(flagged)} flags of {findings.num_rows} checks -> {out} (thresholds {th.ref})")
    if funnel:
        from openpbr.outcomes.charts import funnel_png
        from openpbr.outcomes.gaming.plausibility import funnel_data

        funnel_png(funnel_data(ctx, "provider", th), "Reliable improvement: observed / case-mix expected", funnel)
        console.print(f"funnel plot -> {funnel}")


@app.command()
def charts(
    results: Path = typer.Option(..., "--results", help="indicator results CSV from `outcomes indicators`"),
    out_dir: Path = typer.Option(Path("charts"), "--out-dir"),
    unit_type: str = typer.Option("trust", "--unit-type"),
    unit: Optional[str] = typer.Option(None, "--unit", help="one unit only (default: all of the unit type)"),
    indicator: Optional[list[str]] = typer.Option(None, "--indicator", help="repeat to choose indicators (default: all)"),
) -> None:
    """XmR charts (PNG) and their data (CSV) with Making Data Count special-cause rules."""
    import pyarrow.compute as pc

    from openpbr.outcomes.charts import xmr_png
    from openpbr.outcomes.indicators import RESULT_SCHEMA
    from openpbr.outcomes.spc import series, xmr, xmr_table

    res = pacsv.read_csv(results, convert_options=pacsv.ConvertOptions(column_types=RESULT_SCHEMA, strings_can_be_null=False))
    out_dir.mkdir(parents=True, exist_ok=True)
    data = xmr_table(res, unit_types=(unit_type,))
    if unit:
        data = data.filter(pc.equal(data["unit"], unit))
    if indicator:
        data = data.filter(pc.is_in(data["indicator_id"], value_set=__import__("pyarrow").array(indicator)))
    pacsv.write_csv(data, out_dir / f"xmr_{unit_type}.csv")
    done = 0
    seen = sorted(set(zip(data["indicator_id"].to_pylist(), data["unit"].to_pylist())))
    for ind, u in seen:
        labels, vals, low = series(res, ind, unit_type, u)
        kind_is_pct = ind.endswith(("_pct", "_rate", "_share", "_coverage", "overdue", "accommodation"))
        xmr_png(xmr(vals, labels, low), f"{ind} - {unit_type} {u}", out_dir / f"{ind}__{unit_type}_{u}.png", percent=kind_is_pct)
        done += 1
    console.print(f"{done} charts and xmr_{unit_type}.csv -> {out_dir}")


@app.command()
def report(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    out: Path = typer.Option(Path("outcomes_report.pdf"), "--out", help=".pdf or .html"),
    title: str = typer.Option("Outcomes and quality indicators", "--title"),
) -> None:
    """One-page report: indicators with SPC variation, and gaming flags."""
    import tempfile

    from openpbr.outcomes.charts import xmr_png
    from openpbr.outcomes.gaming import detect_gaming
    from openpbr.outcomes.indicators import compute_indicators
    from openpbr.outcomes.report import render_html, render_pdf
    from openpbr.outcomes.spc import series, xmr

    s, e = _month_start(start), _month_end(end)
    inputs = _inputs(db, csv, synthetic, s, e)
    run = compute_indicators(inputs, s, e)
    findings = detect_gaming(inputs, s, e, unit_types=("provider",))
    if out.suffix.lower() == ".html":
        render_html(out, title, s, e, run.results, run.definitions, findings)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            labels, vals, low = series(run.results, "within_review_pct")
            png = xmr_png(xmr(vals, labels, low), "% within cluster review period (trust)", Path(tmp) / "c.png", percent=True) if len(labels) >= 2 else None
            render_pdf(out, title, s, e, run.results, run.definitions, findings, png)
    console.print(f"report -> {out}")


@app.command()
def synthetic(
    out: Path = typer.Option(Path("synthetic_extracts"), "--out"),
    seed: int = typer.Option(20261122, "--seed"),
    people: int = typer.Option(9000, "--people"),
) -> None:
    """Write CSV extracts of the seeded synthetic trust (planted upcoder RUP, cream-skimmer RCS, inflator RIN)."""
    from openpbr.outcomes.synthetic import gaming_trust

    inputs, truth = gaming_trust(n_people=people, seed=seed)
    inputs.write_csv(out)
    (out / "planted.json").write_text(json.dumps(truth, indent=2))
    console.print(f"extracts -> {out}; planted: {truth}")
