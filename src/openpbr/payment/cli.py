"""`openpbr pay ...` commands: prices, contracts, settlement, reconciliation, what-if, export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from openpbr.cli_args import DB_EXISTING, DB_HELP, month_window, parse_date, parse_window

app = typer.Typer(help="Prices, contracts and settlement.", no_args_is_help=True)
console = Console()


def _month(m: str) -> tuple[date, date]:
    return month_window(m)


def _window(month: Optional[str], start: Optional[str], end: Optional[str]) -> tuple[date, date]:
    if month and (start or end):
        raise typer.BadParameter("give --month YYYY-MM, or --start and --end, not both")
    if month:
        return _month(month)
    if not (start and end):
        raise typer.BadParameter("give --month YYYY-MM, or --start and --end (end exclusive)")
    return parse_window(start, end)


def _contracts(path: Optional[Path]):
    from openpbr.payment.contracts import demo_contracts_dir, load_contracts

    return load_contracts(path or demo_contracts_dir())


def _bundle(activity: Optional[Path], db: Optional[str], start: date, end: date, demo_people: int):
    if db:
        from openpbr.db import require_database
        from openpbr.payment.records_source import bundle_from_records

        bundle = bundle_from_records(require_database(db), start, end)
    elif activity:
        from openpbr.payment.activity import load_bundle

        bundle = load_bundle(activity)
    else:
        bundle = demo_bundle(demo_people)
    if activity and db:
        from openpbr.payment.activity import read_activity

        found = [p for p in (activity / "indicator_results.csv", activity / "indicator_results.parquet") if p.is_file()]
        if found:
            r = read_activity(found[0], "indicator_results")
            bundle.indicator_results = r.table
            bundle.rejected += r.issues
            bundle.warnings += r.warnings
    _report_activity(bundle)
    return bundle


def _report_activity(bundle) -> None:
    """File-level warnings and a count of refused rows (each is a named line on the exceptions statement)."""
    err = Console(stderr=True)
    for w in bundle.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False)
    if bundle.rejected:
        err.print(f"warning: {len(bundle.rejected)} activity row issue(s): not paid, listed on the exceptions "
                  f"statement; first: {bundle.rejected[0]}", markup=False, highlight=False)


DEMO_COMMISSIONERS = ["ICB-A", "ICB-B", "ICB-C", "LA-D", "ICB-E"]
DEMO_INDICATORS = ["within_review_period", "settled_accommodation", "followup_7day", "staff_wellbeing", "paired_honos",
                   "job_outcome_13wk", "sustained_26wk"]


def demo_bundle(people: int = 20_000):
    """The demo trust's synthetic year of activity (seeded: always the same)."""
    from openpbr.payment.contracts import demo_contracts_dir, load_contracts
    from openpbr.payment.synthetic import indicator_results, synthetic_bundle

    b = synthetic_bundle(people, ["RDEMO"], DEMO_COMMISSIONERS, date(2024, 4, 1), date(2025, 4, 1),
                         acute_provider="RACUTE", spells=people // 4)
    b.indicator_results = indicator_results([c.contract_id for c in load_contracts(demo_contracts_dir())],
                                            DEMO_INDICATORS)
    return b


def print_run(run, detail: bool = False) -> None:
    from openpbr.payment.money import fmt

    for st in run.statements + ([run.exceptions] if run.exceptions.lines else []):
        t = Table(title=f"{st.contract_id}  {st.commissioner}->{st.provider}  {run.window.label()}  ({run.mode})",
                  title_justify="left")
        for c, j in (("#", "right"), ("Description", "left"), ("Code", "left"), ("Quantity", "right"),
                     ("Amount", "right")):
            t.add_column(c, justify=j)
        for n, ln in enumerate(st.lines, start=1):
            t.add_row(str(n), ln.description, ln.code.value, f"{ln.quantity:,g} {ln.unit}" if ln.unit else "",
                      fmt(ln.amount))
        if st.kind != "exceptions":
            t.add_row("", "[b]Total (sum of lines)[/b]", "", "", f"[b]{fmt(st.total)}[/b]")
            t.add_row("", "Payments on account", "", "", fmt(st.on_account))
            t.add_row("", "[b]Balance due (negative: clawback)[/b]", "", "", f"[b]{fmt(st.balance)}[/b]")
        console.print(t)
        if detail:
            for ln in st.lines:
                console.print(f"  [dim]{ln.rule}: {ln.trace}[/dim]")
    console.print(f"Run {run.run_key}: {len(run.statements)} statements, total {fmt(run.total)}")


@app.command("prices")
def prices_cmd(schedule: str = typer.Argument("payment_cluster_prices_demo", help="shipped name or YAML file"),
               on: Optional[str] = typer.Option(None, help="only entries in force on this date")):
    """Show a price schedule: status, version, entries, provenance."""
    from openpbr.payment.prices import load_schedule

    s = load_schedule(schedule)
    t = Table(title=f"{s.ref}  status {s.status.value}", title_justify="left")
    for c in ("key", "from", "to", "value", "source"):
        t.add_column(c)
    entries = s.dataset.in_force(parse_date(on)) if on else s.dataset.entries
    for e in entries:
        t.add_row(e.key, str(e.valid_from), str(e.valid_to or ""), str(e.value), e.provenance.label())
    console.print(t)


@app.command("contracts")
def contracts_cmd(path: Optional[Path] = typer.Argument(None, help="folder or file of contract YAML (default: demo)")):
    """Check contract files and list their payment models."""
    for c in _contracts(path):
        console.print(f"[b]{c.contract_id}[/b] {c.commissioner}->{c.provider} {c.valid_from}..{c.valid_to} "
                      f"models: {', '.join(m.type for m in c.models)}  digest {c.digest}")


@app.command("settle")
def settle_cmd(
    month: Optional[str] = typer.Option(None, help="YYYY-MM"),
    start: Optional[str] = typer.Option(None, help="first day (ISO)"),
    end: Optional[str] = typer.Option(None, help="day after the last (ISO, exclusive)"),
    contracts: Optional[Path] = typer.Option(None, help="contract folder (default: the demo contracts)"),
    activity: Optional[Path] = typer.Option(None, help="folder of activity CSV files"),
    db: Optional[str] = typer.Option(None, "--db", help=f"Records database to settle from. {DB_HELP}"),
    mode: str = typer.Option("live", help="live (Live prices only) or shadow"),
    save: Optional[str] = typer.Option(None, help="database URL to store the run in (one transaction)"),
    csv: Optional[Path] = typer.Option(None, help="write statements as CSV"),
    pdf: Optional[Path] = typer.Option(None, help="write statements as PDF"),
    trace: bool = typer.Option(False, help="print every line's trace"),
    demo_people: int = typer.Option(20_000, help="people in the synthetic demo activity"),
):
    """Settle every contract for a month or any period and print the statements."""
    from openpbr.payment.settle import settle

    a, b = _window(month, start, end)
    cs = _contracts(contracts)
    run = settle(cs, _bundle(activity, db, a, b, demo_people), a, b, mode)
    print_run(run, trace)
    write_outputs(run, save, csv, pdf)


def write_outputs(run, save, csv, pdf):
    """Store the run, and write CSV and PDF statements, as asked."""
    if save:
        from openpbr.payment.store import init_db, save_run

        init_db(save)
        rid, created = save_run(save, run)
        console.print(f"{'Stored' if created else 'Already stored (same inputs)'}: run {run.run_key} id {rid}")
    if csv:
        from openpbr.payment.export import write_csv

        console.print(f"CSV: {write_csv(run, csv)}")
    if pdf:
        from openpbr.payment.export import write_pdf

        console.print(f"PDF: {write_pdf(run, pdf)}")


@app.command("reconcile")
def reconcile_cmd(
    start: str = typer.Option(..., help="first day of the reconciled period (e.g. the contract year)"),
    end: str = typer.Option(..., help="day after its last day"),
    contracts: Optional[Path] = typer.Option(None),
    activity: Optional[Path] = typer.Option(None),
    db: Optional[str] = typer.Option(None, "--db", help=f"Records database to settle from. {DB_HELP}"),
    mode: str = typer.Option("live"),
    save: Optional[str] = typer.Option(None),
    csv: Optional[Path] = typer.Option(None),
    pdf: Optional[Path] = typer.Option(None),
    demo_people: int = typer.Option(20_000),
):
    """In-year or year-end reconciliation: settle each month, then the whole period, and show the difference."""
    from openpbr.payment.settle import month_windows, reconcile, settle

    a, b = parse_window(start, end)
    cs = _contracts(contracts)
    bundle = _bundle(activity, db, a, b, demo_people)
    months = [settle(cs, bundle, m0, m1, mode) for m0, m1 in month_windows(a, b)]
    run = reconcile(cs, bundle, a, b, months, mode)
    print_run(run)
    write_outputs(run, save, csv, pdf)


@app.command("whatif")
def whatif_cmd(
    provider: str = typer.Option("RDEMO"),
    commissioner: str = typer.Option("ICB-A"),
    start: str = typer.Option("2024-04-01"),
    end: str = typer.Option("2025-04-01"),
    block: str = typer.Option("9000000.00", help="block annual value (GBP)"),
    capitation: str = typer.Option("2000.00", help="capitation rate per person-year (GBP)"),
    new_prices: str = typer.Option("payment_cluster_prices_demo_uplift", help="schedule for the price-change case"),
    activity: Optional[Path] = typer.Option(None),
    out: Path = typer.Option(Path("whatif"), help="folder for tables and PNG charts"),
    demo_people: int = typer.Option(20_000),
):
    """Same activity under block, cluster tariff and capitation; and the effect of a price change."""
    from openpbr.payment import whatif

    a, b = parse_window(start, end)
    bundle = _bundle(activity, None, a, b, demo_people)
    out.mkdir(parents=True, exist_ok=True)
    rows = whatif.compare_models(bundle, provider, commissioner, a, b, block, capitation)
    text = whatif.table_text(rows)
    (out / "models.txt").write_text(text + "\n", encoding="utf-8")
    console.print(text)
    whatif.chart(rows, out / "models.png", f"{commissioner}->{provider}: same activity, different payment models")
    base = whatif.scenario_contract("cluster per day", whatif.SCENARIOS["cluster per day"].format(
        prices="payment_cluster_prices_demo"), provider, commissioner, a, b)
    rows2 = whatif.price_change(bundle, base, a, b, new_prices)
    text2 = whatif.table_text(rows2)
    (out / "price_change.txt").write_text(text2 + "\n", encoding="utf-8")
    console.print(text2)
    whatif.chart(rows2, out / "price_change.png", f"Price change: {new_prices}")
    console.print(f"Tables and charts in {out}/")


@app.command("demo-activity")
def demo_activity_cmd(out: Path = typer.Argument(Path("demo-activity")), people: int = typer.Option(20_000)):
    """Write the demo trust's synthetic activity as CSV files (the input format of `settle --activity`)."""
    from openpbr.payment.activity import screen, write_bundle

    b = screen(demo_bundle(people))  # typed as the reader types them, so the files settle exactly as in memory
    for path in write_bundle(b, out):
        console.print(f"{path}: {getattr(b, path.stem).num_rows} rows")


@app.command("runs")
def runs_cmd(db: Optional[str] = DB_EXISTING):
    """List stored settlement runs."""
    from openpbr.payment.money import fmt
    from openpbr.payment.store import list_runs

    for r in list_runs(db):
        console.print(f"{r['id']:>4} {r['run_key']} {r['kind']:<14} {r['mode']:<6} {r['period_start']}..{r['period_end']} "
                      f"{fmt(r['total_pence'])}")
