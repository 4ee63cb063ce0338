"""`openpbr pay ...` commands: prices, contracts, settlement, reconciliation, what-if, export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from openpbr.access import Scope
from openpbr.cli_args import DB_EXISTING, DB_HELP, month_window, parse_date, parse_window
from openpbr.errors import InputError

app = typer.Typer(help="Prices, contracts and settlement.", no_args_is_help=True)
console = Console()
err = Console(stderr=True)


def _window(month: Optional[str], start: Optional[str], end: Optional[str]) -> tuple[date, date]:
    """``--month YYYY-MM``, or ``--start`` and ``--end`` (end exclusive)."""
    if month and (start or end):
        raise typer.BadParameter("give --month, or --start and --end, not both")
    if month:
        return month_window(month)
    if not (start and end):
        raise typer.BadParameter("give --month YYYY-MM, or --start and --end (end exclusive)")
    return parse_window(start, end)


def _contracts(path: Optional[Path]):
    from openpbr.payment.contracts import demo_contracts_dir
    from openpbr.services.settlement import load_contracts

    return load_contracts(path or demo_contracts_dir())


def _bundle(activity: Optional[Path], db: Optional[str], start: date, end: date, demo_people: int):
    """The activity to settle, as loaded from files (None: the records database supplies it)."""
    if db:
        return None
    if activity:
        from openpbr.payment.activity import load_bundle

        bundle = load_bundle(activity)
    else:
        bundle = demo_bundle(demo_people)
    _report_activity(bundle)
    return bundle


def _settle_inputs(contracts, activity, db, indicators, a, b, demo_people):
    from openpbr.services.settlement import bundle_for

    if activity and db:
        raise typer.BadParameter("give --activity or --db, not both", param_hint="--activity/--db")
    if activity is not None and not activity.is_dir():
        raise InputError(f"activity folder {activity} not found", code="FILE_NOT_FOUND")
    cs = _contracts(contracts)
    return cs, bundle_for(cs, a, b, activity=_bundle(activity, db, a, b, demo_people), records_db=db,
                          indicators=indicators)


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

    for st in run.all_statements():
        kind = {"adjustment": "  ADJUSTMENT against the stored run", "exceptions": ""}.get(st.kind, "")
        t = Table(title=f"{st.contract_id}  {st.commissioner}->{st.provider}  {run.window.label()}  ({run.mode}){kind}",
                  title_justify="left")
        for c, j in (("#", "right"), ("Description", "left"), ("Code", "left"), ("Quantity", "right"),
                     ("Amount", "right")):
            t.add_column(c, justify=j)
        for n, ln in enumerate(st.lines, start=1):
            t.add_row(str(n), ln.description, ln.code.value, f"{ln.quantity:,g} {ln.unit}" if ln.unit else "",
                      fmt(ln.amount))
        if st.kind == "adjustment":
            t.add_row("", "[b]Adjustment (now due - stored)[/b]", "", "", f"[b]{fmt(st.total)}[/b]")
        elif st.kind != "exceptions":
            t.add_row("", "[b]Total (sum of lines)[/b]", "", "", f"[b]{fmt(st.total)}[/b]")
            t.add_row("", "Payments on account", "", "", fmt(st.on_account))
            t.add_row("", "[b]Balance due (negative: clawback)[/b]", "", "", f"[b]{fmt(st.balance)}[/b]")
        console.print(t)
        if detail:
            for ln in st.lines:
                console.print(f"  [dim]{ln.rule}: {ln.trace}[/dim]")
    console.print(f"Run {run.run_key}: {len(run.statements)} statements, total {fmt(run.total)}")


def report_gaps(result) -> None:
    """Coverage gaps end the command with exit 1 and a one-line summary (the run itself is complete)."""
    gaps = result.gaps
    if gaps:
        named = "; ".join(f"{g.contract_id} {g.code}" for g in gaps[:6]) + (" ..." if len(gaps) > 6 else "")
        err.print(f"warning: {len(gaps)} contract line(s) have nothing to settle in the window: {named}",
                  soft_wrap=True, highlight=False)
        raise typer.Exit(1)


MODE = typer.Option("live", help="live (Live prices only) or shadow")


@app.command("prices")
def prices_cmd(schedule: str = typer.Argument("payment_cluster_prices_demo", help="shipped name or YAML file"),
               on: Optional[str] = typer.Option(None, help="only entries in force on this date (YYYY-MM-DD)")):
    """Show a price schedule: status, version, entries, provenance."""
    from openpbr.services.settlement import load_schedule

    when = parse_date(on) if on else None
    s = load_schedule(schedule)
    t = Table(title=f"{s.ref}  status {s.status.value}", title_justify="left")
    for c in ("key", "from", "to", "value", "source"):
        t.add_column(c)
    entries = s.dataset.in_force(when) if when else s.dataset.entries
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
    start: Optional[str] = typer.Option(None, help="first day (YYYY-MM-DD)"),
    end: Optional[str] = typer.Option(None, help="day after the last (YYYY-MM-DD, exclusive)"),
    contracts: Optional[Path] = typer.Option(None, help="contract folder (default: the demo contracts)"),
    contract: Optional[str] = typer.Option(None, "--contract", help="settle this contract only (its id)"),
    activity: Optional[Path] = typer.Option(None, help="folder of activity CSV files"),
    db: Optional[str] = typer.Option(None, "--db", help=f"Records database to settle from (activity and indicator "
                                                        f"results). {DB_HELP}"),
    indicators: Optional[Path] = typer.Option(
        None, help="indicator_results.csv from `openpbr outcomes indicators --payment-results`"),
    mode: str = MODE,
    save: Optional[str] = typer.Option(None, help="database URL to store the run in (one transaction; a changed "
                                                  "re-run of a stored window supersedes it)"),
    csv: Optional[Path] = typer.Option(None, help="write statements as CSV"),
    pdf: Optional[Path] = typer.Option(None, help="write statements as PDF"),
    trace: bool = typer.Option(False, help="print every line's trace"),
    demo_people: int = typer.Option(20_000, help="people in the synthetic demo activity"),
):
    """Settle every contract (or one) for a month or any period and print the statements.

    Exit 1 when a contract has nothing to settle in the window (CONTRACT_NOT_IN_FORCE, NO_ACTIVITY_IN_WINDOW).
    """
    from openpbr.services import settlement as svc

    a, b = _window(month, start, end)
    svc.check_mode(mode)
    cs, bundle = _settle_inputs(contracts, activity, db, indicators, a, b, demo_people)
    scope = Scope.local_operator()
    if save:
        result = svc.settle_and_store(save, cs, bundle, a, b, scope=scope, mode=mode, contract_id=contract)
    else:
        result = svc.SettleResult(svc.settle_window(cs, bundle, a, b, scope=scope, mode=mode, contract_id=contract))
    print_run(result.run, trace)
    if save:
        print_stored(result)
    write_outputs(result.run, None, csv, pdf)
    report_gaps(result)


def print_stored(result) -> None:
    run = result.run
    if not result.created:
        console.print(f"Already stored (same inputs): run {run.run_key} id {result.stored_id}")
        return
    console.print(f"Stored: run {run.run_key} id {result.stored_id}")
    if result.superseded:
        from openpbr.payment.money import fmt

        change = sum(st.total for st in run.adjustments)
        console.print(f"Supersedes run(s) {', '.join(result.superseded)}; adjustments against them: {fmt(change)}"
                      + ("" if run.adjustments else " (no change in money)"))


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
    start: str = typer.Option(..., help="first day of the reconciled period, e.g. the contract year (YYYY-MM-DD)"),
    end: str = typer.Option(..., help="day after its last day (YYYY-MM-DD)"),
    runs_db: Optional[str] = typer.Option(None, "--runs-db", help="database of the stored (invoiced) runs "
                                                                  "(default: $OPENPBR_DATABASE_URL or ./openpbr.sqlite)"),
    contracts: Optional[Path] = typer.Option(None),
    contract: Optional[str] = typer.Option(None, "--contract", help="reconcile this contract only"),
    activity: Optional[Path] = typer.Option(None),
    db: Optional[str] = typer.Option(None, "--db", help=f"Records database to settle from (today's data). {DB_HELP}"),
    indicators: Optional[Path] = typer.Option(None),
    mode: str = MODE,
    save: bool = typer.Option(False, help="store the reconciliation run in the runs database"),
    csv: Optional[Path] = typer.Option(None),
    pdf: Optional[Path] = typer.Option(None),
    demo_people: int = typer.Option(20_000),
):
    """In-year or year-end reconciliation: what the stored live runs invoiced against what is due now.

    Per contract: invoiced, now due, difference; a month with no stored run is named (NO_STORED_RUN, exit 1).
    """
    from openpbr.db import require_database
    from openpbr.payment.money import fmt
    from openpbr.services import settlement as svc

    a, b = parse_window(start, end)
    svc.check_mode(mode)
    url = require_database(runs_db)
    cs, bundle = _settle_inputs(contracts, activity, db, indicators, a, b, demo_people)
    res = svc.reconcile_period(url, cs, bundle, a, b, scope=Scope.local_operator(), mode=mode, contract_id=contract,
                               save=save)
    print_run(res.run)
    t = Table(title=f"Reconciliation {res.run.window.label()} against stored runs", title_justify="left")
    for c, j in (("Contract", "left"), ("Invoiced", "right"), ("Now due", "right"), ("Difference", "right"),
                 ("No stored run for", "left")):
        t.add_column(c, justify=j)
    for r in res.rows:
        t.add_row(r.contract_id, fmt(r.invoiced), fmt(r.now_due), fmt(r.difference), ", ".join(r.missing_months))
    console.print(t)
    if res.stored_id is not None:
        console.print(f"Stored: reconciliation run {res.run.run_key} id {res.stored_id}")
    write_outputs(res.run, None, csv, pdf)
    missing = [r for r in res.rows if r.missing_months]
    if missing:
        err.print(f"warning: {len(missing)} contract(s) have months with no stored run (NO_STORED_RUN): "
                  + "; ".join(f"{r.contract_id} {', '.join(r.missing_months)}" for r in missing[:4]),
                  soft_wrap=True, highlight=False)
        raise typer.Exit(1)


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
    from openpbr.io.safe import atomic_path
    from openpbr.payment import whatif
    from openpbr.services.settlement import what_if

    a, b = parse_window(start, end)
    if activity is not None and not activity.is_dir():
        raise InputError(f"activity folder {activity} not found", code="FILE_NOT_FOUND")
    bundle = _bundle(activity, None, a, b, demo_people)
    res = what_if(bundle, provider, commissioner, a, b, scope=Scope.local_operator(), block_annual=block,
                  capitation_rate=capitation, new_prices=new_prices)
    for rows, name, title in ((res.models, "models", f"{commissioner}->{provider}: same activity, different payment models"),
                              (res.price_change, "price_change", f"Price change: {new_prices}")):
        text = whatif.table_text(rows)
        with atomic_path(out / f"{name}.txt") as tmp:
            tmp.write_text(text + "\n", encoding="utf-8")
        console.print(text)
        whatif.chart(rows, out / f"{name}.png", title)
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
    """List stored settlement runs; a superseded run names the run that restated it."""
    from openpbr.payment.money import fmt
    from openpbr.services.settlement import list_runs

    for r in list_runs(db, Scope.local_operator()):
        state = "live" if r.live else f"superseded by {r.superseded_by}"
        console.print(f"{r.id:>4} {r.run_key} {r.kind:<14} {r.mode:<6} {r.period_start}..{r.period_end} "
                      f"{fmt(r.total_pence):>16}  {state}", highlight=False)


@app.command("show")
def show_cmd(run_key: str = typer.Argument(..., help="a stored run's key (see `pay runs`)"),
             db: Optional[str] = DB_EXISTING,
             trace: bool = typer.Option(False, help="print every line's trace")):
    """Show a stored run's statements and lines, as invoiced."""
    from openpbr.payment.money import fmt
    from openpbr.services.settlement import run_statements

    for st in run_statements(db, run_key, Scope.local_operator()):
        t = Table(title=f"{st['contract_id']}  {st['commissioner']}->{st['provider']}  {st['period_start']}.."
                        f"{st['period_end']}  ({st['kind']})", title_justify="left")
        for c, j in (("#", "right"), ("Description", "left"), ("Code", "left"), ("Quantity", "right"),
                     ("Amount", "right")):
            t.add_column(c, justify=j)
        for ln in st["lines"]:
            t.add_row(str(ln["line_no"]), ln["description"], ln["code"],
                      f"{ln['quantity']:,g} {ln['unit']}" if ln["unit"] else "", fmt(ln["amount_pence"]))
        t.add_row("", "[b]Total[/b]", "", "", f"[b]{fmt(st['total_pence'])}[/b]")
        console.print(t)
        if trace:
            for ln in st["lines"]:
                console.print(f"  [dim]{ln['rule']}: {ln['trace']}[/dim]")
