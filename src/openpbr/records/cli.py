"""`openpbr records ...` commands.

The database comes from ``--db`` or ``OPENPBR_DATABASE_URL`` (default
``sqlite:///openpbr.sqlite``). Output names people by pseudonymous id only.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from openpbr.cli_args import DB, DB_EXISTING, parse_date, parse_month, parse_window

app = typer.Typer(help="Care records: service users, cluster periods, reviews, care packages, audit.", no_args_is_help=True)
console = Console()


def _date(text: str | None, default: date | None = None) -> date:
    if not text:
        return default or date.today()
    return parse_date(text)


@app.command()
def init(db: Optional[str] = DB) -> None:
    """Create or upgrade the database (every domain's migrations) and register reference data."""
    from openpbr.db import database_url, session_scope, upgrade
    from openpbr.records.process import register_reference_data

    upgrade(db)
    with session_scope(database_url(db)) as s:
        changed = register_reference_data(s)
    console.print(f"[green]Database ready[/green]; reference datasets recorded: {len(changed)} new")


@app.command()
def generate(
    people: int = typer.Option(10_000, help="Number of service users"),
    years: int = typer.Option(5, help="Years of history"),
    seed: int = typer.Option(1, help="Random seed: same seed and size give the same trust"),
    providers: int = typer.Option(2),
    commissioners: int = typer.Option(3),
    teams: int = typer.Option(6, help="Teams per provider"),
    start: str = typer.Option("2019-04-01", help="First day of the history"),
    db: Optional[str] = DB,
) -> None:
    """Build a synthetic demo trust (seeded, reproducible) into an initialised, empty database."""
    from openpbr.db import upgrade
    from openpbr.records.generate import TrustSize, generate_trust

    first_day = _date(start)  # a bad argument is refused before the database is touched
    upgrade(db)
    size = TrustSize(people=people, years=years, providers=providers, commissioners=commissioners,
                     teams_per_provider=teams, start=first_day)
    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed:,}/{task.total:,}"),
                  TimeElapsedColumn(), console=console) as bar:
        tasks: dict[str, int] = {}

        def progress(stage: str, advance: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task("Simulating people" if stage == "simulate" else "Loading rows", total=total)
            bar.advance(tasks[stage], advance)

        summary = generate_trust(db, seed=seed, size=size, progress=progress)
    table = RichTable(title=f"Synthetic trust (seed {seed})")
    table.add_column("Table")
    table.add_column("Rows", justify="right")
    for name, n in summary.rows.items():
        table.add_row(name, f"{n:,}")
    console.print(table)
    console.print(f"digest {summary.digest[:16]}")


@app.command("import")
def import_(
    folder: Path = typer.Argument(..., help="Folder holding MHS801.csv, MHS802.csv, MHS803.csv"),
    db: Optional[str] = DB_EXISTING,
    rejects: Optional[Path] = typer.Option(None, "--rejects", help="Write every rejected row (file, line, field, code, reason) to this CSV"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Day the files describe (default: today); later dates are rejected"),
) -> None:
    """Import MHSDS-shape CSVs: bad rows are reported and skipped; re-importing changes nothing."""
    from openpbr.io.safe import write_csv_rows
    from openpbr.services import records as svc

    day = _date(as_of)
    engine = svc.engine_for(db)
    try:
        with console.status("Importing"):
            report = svc.import_records(engine, _scope(), folder, as_of=day)
    finally:
        engine.dispose()
    for w in report.warnings:
        console.print(f"[yellow]warning: {w}[/yellow]")
    console.print(f"inserted {dict(report.inserted)}; updated {dict(report.updated)}; unchanged {dict(report.unchanged)}")
    if rejects is not None:  # field name and line only: a rejected value is never written out
        write_csv_rows(rejects, ["file", "line", "field", "code", "reason"],
                       ((e.file, e.line, e.field, e.code, e.reason) for e in report.errors))
    for err in report.errors[:50]:
        console.print(f"[yellow]{err}[/yellow]", soft_wrap=True)
    if report.errors:
        more = f"; all of them in {rejects}" if rejects else "; use --rejects FILE to list every one" if len(report.errors) > 50 else ""
        console.print(f"[yellow]{len(report.errors)} row(s) rejected{more}[/yellow]")
        raise typer.Exit(1)


@app.command()
def export(
    folder: Path = typer.Argument(..., help="Folder for MHS801.csv, MHS802.csv, MHS803.csv (created if missing)"),
    start: Optional[str] = typer.Option(None, help="First assessment date (YYYY-MM-DD)"),
    end: Optional[str] = typer.Option(None, help="Last assessment date (YYYY-MM-DD, inclusive)"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """Export MHS801/802/803 CSVs (contain NHS numbers: handle as personal data)."""
    from openpbr.services import records as svc

    first, last = _date(start) if start else None, _date(end) if end else None
    if first and last:
        parse_window(first, last, inclusive=True)
    engine = svc.engine_for(db)
    try:
        counts = svc.export_records(engine, _scope(), folder, start=first, end=last)
    finally:
        engine.dispose()
    console.print(", ".join(f"{k}: {v:,} rows" for k, v in counts.items()))


@app.command()
def register(
    person: str = typer.Option(..., help="Pseudonymous id (LocalPatientId)"),
    nhs_number: str = typer.Option(..., "--nhs-number", help="10-digit NHS number (never shown again)"),
    birth_year: Optional[int] = typer.Option(None, "--birth-year"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date of registration (default: today)"),
    by: str = typer.Option("cli", help="Who is registering (staff code, for the audit trail)"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """Register a service user under a pseudonymous id."""
    from openpbr.services import records as svc

    day = _date(as_of)
    engine = svc.engine_for(db)
    try:
        with svc.transaction(engine) as s:
            r = svc.register_person(s, _scope(by), person=person, nhs_number=nhs_number, birth_year=birth_year, as_of=day)
    finally:
        engine.dispose()
    console.print(f"{r.person} registered")


@app.command()
def assess(
    person: str = typer.Option(..., help="Pseudonymous id (LocalPatientId)"),
    ratings: str = typer.Option(..., help="18 ratings, comma-separated, in item_01..item_13, hist_a..hist_e order"),
    clust_id: str = typer.Option(..., help="Assessment id (ClustId), new for each assessment"),
    assessor: str = typer.Option(..., help="Staff code"),
    provider: str = typer.Option(...),
    commissioner: str = typer.Option(...),
    team: Optional[str] = typer.Option(None),
    on: Optional[str] = typer.Option(None, help="Assessment date (default: today)"),
    reason: str = typer.Option("review", help="initial, review, transition or discharge"),
    item8_type: Optional[str] = typer.Option(None, help="Item 8 problem type A-J"),
    choose: Optional[str] = typer.Option(None, help="Chosen cluster (default: accept the suggestion)"),
    override_reason: Optional[str] = typer.Option(None),
    transition_reason: Optional[str] = typer.Option(None),
    expect_period: Optional[str] = typer.Option(
        None, help="The open period you decided on, as ID:VERSION (or 'none'); a change since gives a conflict"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """Record an assessment for one person, show the suggestion, and allocate (confirm or override)."""
    from openpbr.services import records as svc

    try:
        values = tuple(int(x) for x in ratings.split(","))
    except ValueError:
        raise typer.BadParameter("ratings must be 18 integers separated by commas", param_hint="--ratings") from None
    day, today = _date(on), date.today()
    seen = _period_seen(expect_period) if expect_period else None
    engine = svc.engine_for(db)
    try:
        with svc.transaction(engine) as s:
            d = svc.assess_and_decide(
                s, _scope(assessor), person=person, clust_id=clust_id, assessed_on=day, as_of=max(day, today),
                assessor=assessor, ratings=values, provider=provider, commissioner=commissioner, reason=reason,
                team=team, item_08_type=item8_type, chosen_cluster=choose, override_reason=override_reason,
                transition_reason=transition_reason, seen=seen)
    finally:
        engine.dispose()
    sug = d.suggestion
    console.print(f"{person}: suggested {sug.cluster} (fit {sug.fit}), {sug.message}")
    console.print(f"chosen {d.chosen_cluster} ({d.transition}{', override' if d.overridden else ''}); "
                  f"review due {d.review_due}; care package {d.care_package} {d.care_package_name}")


def _period_seen(text: str):
    from openpbr.services.records import PeriodSeen

    if text.strip().lower() == "none":
        return PeriodSeen(None)
    try:
        pid, version = (int(x) for x in text.split(":"))
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not ID:VERSION (e.g. 42:1) or 'none'", param_hint="--expect-period") from None
    return PeriodSeen(pid, version)


def _scope(actor: str = "cli"):
    from openpbr.access import Scope

    return Scope.local_operator(actor)


@app.command()
def discharge(
    person: str = typer.Option(...), by: str = typer.Option(..., help="Staff code"),
    on: Optional[str] = typer.Option(None, help="Discharge date (default: today)"),
    reason: Optional[str] = typer.Option(None), db: Optional[str] = DB_EXISTING,
) -> None:
    """Discharge a person from whatever cluster they are in."""
    from openpbr.services import records as svc

    day = _date(on)
    engine = svc.engine_for(db)
    try:
        with svc.transaction(engine) as s:
            d = svc.discharge(s, _scope(by), person=person, on=day, as_of=max(day, date.today()), by=by, reason=reason)
    finally:
        engine.dispose()
    console.print(f"{person} discharged from cluster {d.from_cluster} on {d.on}")


@app.command()
def worklist(
    as_of: Optional[str] = typer.Option(None, help="Date (default: today)"),
    horizon: int = typer.Option(28, min=0, help="Days ahead counted as due"),
    provider: Optional[str] = typer.Option(None),
    team: Optional[str] = typer.Option(None),
    out: Optional[Path] = typer.Option(None, help="Write the full list as CSV (folders are created)"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """Reviews due and overdue as of a date, per provider and team."""
    from openpbr.io.safe import write_table_csv
    from openpbr.services import records as svc

    day = _date(as_of)
    engine = svc.engine_for(db)
    try:
        w = svc.worklist(engine, _scope(), as_of=day, horizon_days=horizon, provider=provider, team=team)
    finally:
        engine.dispose()
    table = RichTable(title=f"Review worklist as of {day}")
    for col in ("Provider", "Team", "Due", "Overdue"):
        table.add_column(col, justify="right" if col in ("Due", "Overdue") else "left")
    for r in w.summary.to_pylist():
        table.add_row(r["provider"], r["team"] or "-", str(r["due"]), str(r["overdue"]))
    console.print(table)
    if out:
        write_table_csv(w.rows, out)
        console.print(f"{w.rows.num_rows} rows written to {out}")


@app.command()
def verify(
    expect_head: Optional[str] = typer.Option(None, help="Head hash recorded elsewhere (an outside check on top of the database's own head anchor)"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """Verify the audit trail's hash chain, including that no newest entry was removed."""
    from openpbr.services import records as svc

    engine = svc.engine_for(db)
    try:
        rep = svc.verify_audit(engine, _scope(), expect_head=expect_head)
    finally:
        engine.dispose()
    if rep.ok:
        console.print(f"[green]Audit chain intact[/green]: {rep.entries:,} entries; head {rep.head_hash}")
        return
    where = f" at entry {rep.first_bad_entry}" if rep.first_bad_entry else ""
    console.print(f"[red]Audit chain broken{where}[/red]: {rep.reason} ({rep.entries:,} entries verified before it)")
    raise typer.Exit(1)


@app.command("my-care")
def my_care_command(
    person: str = typer.Argument(..., help="Pseudonymous id, e.g. SU0000001"),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Date (YYYY-MM-DD; default: today)"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """What a service user sees: my cluster, my care package, my next review and what my care costs."""
    from openpbr.services import records as svc

    on = _date(as_of)
    engine = svc.engine_for(db)
    try:
        with svc.transaction(engine) as s:
            view = svc.my_care(s, _scope(), person=person, as_of=on)
    finally:
        engine.dispose()
    console.print(f"[bold]My care[/bold] ({view.person}, as of {on.isoformat()})")
    if view.cluster is None:
        console.print("You are not in a care cluster at the moment.")
    else:
        console.print(f"My care cluster: [bold]{view.cluster} {view.cluster_name}[/bold], since {view.since.isoformat()}.")
        if view.review_due:
            days = view.days_to_review
            when = f"in {days} days" if days >= 0 else f"{-days} days ago: it is overdue, ask your care team"
            console.print(f"My next review is due by {view.review_due.isoformat()} ({when}).")
        pkg = view.package
        console.print(f"My care package: {pkg.name}: {', '.join(pkg.interventions)}; {pkg.frequency}.")
        console.print(f"What it aims for: {', '.join(pkg.outcomes)}.")
        cost = f"My care costs about £{view.cost_per_day:,.2f} a day: £{view.cost_so_far:,.2f} so far in this cluster"
        if view.cost_to_review is not None:
            cost += f", about £{view.cost_to_review:,.2f} up to my next review"
        console.print(cost + ".")
        if pkg.provisional:
            console.print("[dim]The package and its cost are illustrative examples until the local contract's packages are loaded.[/dim]")
    if view.history:
        console.print("My clusters so far: " + "; ".join(
            f"{h.cluster} {h.name} ({h.start_on.isoformat()} to {h.end_on.isoformat() if h.end_on else 'now'}"
            + {1: ")", 2: ", reviewed once)"}.get(h.periods, f", reviewed {h.periods - 1} times)") for h in view.history))


@app.command()
def history(
    start: str = typer.Option(..., "--from", help="First assessment date (ISO)"),
    end: str = typer.Option(..., "--to", help="Last assessment date (ISO, inclusive)"),
    out: Path = typer.Option(Path("history.csv"), "--out", help="CSV in the shape `openpbr calibrate --in` reads"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """Export clinician-confirmed allocations (ratings + chosen cluster) for local calibration."""
    from openpbr.db import database_url
    from openpbr.records.history import write_history

    first, last = parse_window(start, end, inclusive=True)
    n = write_history(database_url(db), first, last, out)
    console.print(f"{n:,} confirmed allocations -> {out}")


@app.command()
def month(
    month: str = typer.Argument(..., help="Month as YYYY-MM"),
    provider: Optional[str] = typer.Option(None),
    report: Path = typer.Option(Path("out/records-month.md"), help="Markdown report file"),
    db: Optional[str] = DB_EXISTING,
) -> None:
    """Run a trust's month: allocations made, reviews due and done, overdue list; print and write a report."""
    from openpbr.records.month import write_markdown
    from openpbr.services import records as svc

    parse_month(month)
    engine = svc.engine_for(db)
    try:
        r = svc.month_report(engine, _scope(), month=month, provider=provider)
    finally:
        engine.dispose()
    _month_summary(r, report, write_markdown)

def _month_summary(r, report: Path, write_markdown) -> None:
    table = RichTable(title=f"Trust month {r.month}")
    table.add_column("Measure")
    table.add_column("Count", justify="right")
    for label, n in (("Allocations made", r.allocations.num_rows), ("Overrides", r.overrides),
                     ("Reviews falling due", r.reviews_due), ("Reviews done", r.reviews_done),
                     ("Reviews done late", r.reviews_late), ("Discharges", r.discharges.num_rows),
                     ("Overdue at month end", r.overdue.num_rows)):
        table.add_row(label, f"{n:,}")
    console.print(table)
    top = RichTable(title="Most overdue (pseudonymous ids)")
    for col in ("Person", "Team", "Cluster", "Review due", "Days overdue"):
        top.add_column(col)
    for row in r.overdue.sort_by([("days_overdue", "descending")]).slice(0, 10).to_pylist():
        top.add_row(row["person"], row["team"] or "-", row["cluster"], str(row["review_due"]), str(row["days_overdue"]))
    console.print(top)
    console.print(f"Report written to {write_markdown(r, report)}")


@app.command()
def demo(
    people: int = typer.Option(5_000),
    seed: int = typer.Option(1),
    month: str = typer.Option("2024-03", help="Month to run (inside the 5-year history from 2019-04)"),
    report: Path = typer.Option(Path("out/records-month.md")),
    db: str = typer.Option("sqlite:///openpbr-demo.sqlite", "--db"),
) -> None:
    """Build the demo database from scratch and run the trust's month."""
    from openpbr.db import is_sqlite
    from openpbr.records.month import run_month, write_markdown

    parse_month(month)  # refused before the database is rebuilt
    if is_sqlite(db) and db.startswith("sqlite:///"):
        path = Path(db.removeprefix("sqlite:///"))
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
    generate(people=people, years=5, seed=seed, providers=2, commissioners=3, teams=6, start="2019-04-01", db=db)
    _month_summary(run_month(db, month), report, write_markdown)
