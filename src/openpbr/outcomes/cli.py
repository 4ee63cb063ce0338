"""`openpbr outcomes ...` commands: thin faces over :mod:`openpbr.services.outcomes`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from openpbr.access import Scope
from openpbr.cli_args import DB
from openpbr.services import outcomes as svc

app = typer.Typer(help="Outcomes, quality indicators, SPC charts and gaming detection.", no_args_is_help=True)
console = Console()

FROM = typer.Option(..., "--from", help="first month, YYYY-MM (or YYYY-MM-DD: its month)")
TO = typer.Option(..., "--to", help="last month, YYYY-MM (or YYYY-MM-DD: its month); the whole month is included")
CSV = typer.Option(None, "--csv", help="folder of CSV extracts (episodes, cluster_periods, assessments, accommodation)")
SYN = typer.Option(None, "--synthetic", help="use the seeded synthetic gaming trust with this seed")


def _window(start: str, end: str) -> svc.Window:
    return svc.Window.months(start, end)


def _source(db: Optional[str], csv: Optional[Path], synthetic: Optional[int]) -> svc.Source:
    return svc.Source(database_url=db, csv_folder=csv, synthetic_seed=synthetic)


def _write_csv(table, path: Path) -> None:
    from openpbr.io.safe import write_table_csv

    write_table_csv(table, path)  # atomic, text cells Excel-safe, missing folders created


@app.command()
def definitions(
    on: Optional[str] = typer.Option(None, "--on", help="show the definitions in force on this date, YYYY-MM-DD (default: today)"),
) -> None:
    """List the governed indicator definitions in force on a date (default today)."""
    from openpbr.clustering.cli import iso_date

    t = Table("id", "kind", "population", "numerator", "denominator", "low is good", "owner", "next review", "evidence")
    for d in svc.definitions(iso_date(on, "--on") or date.today()):
        t.add_row(d.id, d.kind, d.population, d.numerator, d.denominator, str(d.low_is_good), d.owner, str(d.next_review),
                  d.evidence + (" provisional" if d.provisional else ""))
    for column in t.columns:  # wrap long expressions rather than cut them off
        column.overflow = "fold"
    console.print(t)


@app.command()
def indicators(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    out: Path = typer.Option(Path("indicators.csv"), "--out", help="results CSV"),
    payment_results: Optional[Path] = typer.Option(
        None, "--payment-results", help="also write indicator_results.csv for `pay settle --indicators` "
        "(one row per contract and indicator over the months --from..--to; needs --contracts)"),
    contracts: Optional[Path] = typer.Option(None, "--contracts", help="contract folder for --payment-results"),
) -> None:
    """Compute every indicator per trust, provider, commissioner, team and cluster, for each month."""
    if payment_results is not None and contracts is None:
        raise typer.BadParameter("--payment-results needs --contracts (the contracts to be settled)",
                                 param_hint="--contracts")
    window = _window(start, end)
    run = svc.indicators(_source(db, csv, synthetic), window, Scope.local_operator())
    _write_csv(run.results, out)
    console.print(f"{run.results.num_rows} indicator rows -> {out}")
    if payment_results is not None:
        from openpbr.outcomes.payment_feed import ContractKey, payment_indicator_results, write_payment_results
        from openpbr.services.settlement import load_contracts

        keys = [ContractKey(c.contract_id, c.provider, c.commissioner) for c in load_contracts(contracts)]
        feed = payment_indicator_results(run.results, keys, window.start, window.end, by_need_group=True)
        write_payment_results(feed, payment_results)
        console.print(f"{feed.num_rows} payment indicator rows -> {payment_results}")
    console.print(f"outcome pairs: {run.pair_status}")


@app.command()
def pairs(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    basis: str = typer.Option("episode", help="episode or cluster_period"),
    out: Path = typer.Option(Path("pairs.csv"), "--out"),
    transitions_out: Optional[Path] = typer.Option(None, "--transitions", help="item LL/LH/HL/HH counts CSV"),
) -> None:
    """Paired HoNOS outcomes (first and latest), unpaired rows included with their reason."""
    p = svc.pairs(_source(db, csv, synthetic), _window(start, end), Scope.local_operator(), basis=basis,
                  transitions_by="provider" if transitions_out else None)
    _write_csv(p.table, out)
    console.print(f"{p.table.num_rows} rows -> {out}; {p.status}")
    if transitions_out and p.transitions is not None:
        _write_csv(p.transitions, transitions_out)
        console.print(f"item transitions -> {transitions_out}")


@app.command()
def gaming(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    out: Path = typer.Option(Path("gaming_findings.csv"), "--out"),
    set_: list[str] = typer.Option([], "--set", help="override a threshold, e.g. upcoding_drift.z=2.5"),
    funnel: Optional[Path] = typer.Option(None, "--funnel", help="write the provider outcome funnel plot PNG here"),
) -> None:
    """Upcoding, poor-fit pricing, selection (discharge / parking / turned away) and implausible-outcome flags."""
    result = svc.gaming(_source(db, csv, synthetic), _window(start, end), Scope.local_operator(),
                        overrides=svc.parse_threshold_overrides(set_), funnel_unit_type="provider" if funnel else None)
    _write_csv(result.findings, out)
    for f in result.flagged:
        console.print(f"[bold]{f.unit_type} {f.unit}[/bold] {f.detector}: {f.reason}")
    console.print(f"{result.summary()} -> {out} (thresholds {result.thresholds_ref})")
    if funnel and result.funnel is not None:
        from openpbr.outcomes.charts import funnel_png

        funnel_png(result.funnel, "Reliable improvement: observed / case-mix expected", funnel)
        console.print(f"funnel plot -> {funnel}")


@app.command()
def charts(
    results: Path = typer.Option(..., "--results", help="indicator results CSV from `outcomes indicators`"),
    out_dir: Path = typer.Option(Path("charts"), "--out-dir"),
    unit_type: str = typer.Option("trust", "--unit-type", help=f"one of {', '.join(svc.UNIT_TYPES)}"),
    unit: Optional[str] = typer.Option(None, "--unit", help="one unit only (default: all of the unit type)"),
    indicator: Optional[list[str]] = typer.Option(None, "--indicator", help="repeat to choose indicators (default: all)"),
) -> None:
    """XmR charts (PNG) and their data (CSV) with Making Data Count special-cause rules."""
    from openpbr.outcomes.charts import xmr_png
    from openpbr.outcomes.spc import series, xmr

    svc.check_unit_type(unit_type)
    res = svc.read_results(results)
    data = svc.xmr_rows(res, unit_type, unit, indicator)
    _write_csv(data, out_dir / f"xmr_{unit_type}.csv")
    done = 0
    seen = sorted(set(zip(data["indicator_id"].to_pylist(), data["unit"].to_pylist())))
    for ind, u in seen:
        labels, vals, low = series(res, ind, unit_type, u)
        kind_is_pct = ind.endswith(("_pct", "_rate", "_share", "_coverage", "overdue", "accommodation"))
        xmr_png(xmr(vals, labels, low), f"{ind} - {unit_type} {u}", out_dir / _file_part(f"{ind}__{unit_type}_{u}.png"), percent=kind_is_pct)
        done += 1
    console.print(f"{done} charts and xmr_{unit_type}.csv -> {out_dir}")


def _file_part(name: str) -> str:
    """A unit name as part of a file name: no folder separators or control characters."""
    return "".join("_" if (c in '/\\:*?"<>|' or ord(c) < 32) else c for c in name)


@app.command()
def report(
    start: str = FROM, end: str = TO, db: Optional[str] = DB, csv: Optional[Path] = CSV, synthetic: Optional[int] = SYN,
    out: Path = typer.Option(Path("outcomes_report.pdf"), "--out", help=".pdf or .html"),
    title: str = typer.Option("Outcomes and quality indicators", "--title"),
) -> None:
    """One-page report: indicators with SPC variation, and gaming checks (how many run, which flagged)."""
    r = svc.report(_source(db, csv, synthetic), _window(start, end), Scope.local_operator(), out, title)
    console.print(f"report -> {r.path} ({r.indicators_shown} indicators; gaming: {r.summary})")


@app.command()
def synthetic(
    out: Path = typer.Option(Path("synthetic_extracts"), "--out"),
    seed: int = typer.Option(20261122, "--seed"),
    people: int = typer.Option(9000, "--people"),
) -> None:
    """Write CSV extracts of the seeded synthetic trust (planted upcoder RUP, cream-skimmer RCS, inflator RIN)."""
    truth = svc.write_synthetic(out, seed, people)
    console.print(f"extracts -> {out}; planted: {truth}")
