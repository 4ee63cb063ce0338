"""`openpbr demo`: the main job on the embedded default, nothing to set up.

Each step shows what one role would see: the clinician's cluster suggestions,
the trust's month of records, the finance lead's statements and the
commissioner's indicators. Outputs go to one folder (default ./openpbr-demo).
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.rule import Rule

console = Console()


def clinician_step(out_dir: Path) -> None:
    import time
    from datetime import date

    from openpbr.clustering.cli import print_summary, render_suggestion
    from openpbr.reference import builtin_path
    from openpbr.services.clustering import assessment_from_file, cluster_csv, profile_set, suggest_assessment

    console.print(Rule("1. Clinician: MHCT cluster suggestions"))
    src = builtin_path("demo", "assessments.csv")
    profiles = profile_set()
    t = time.perf_counter()
    result = cluster_csv(src, out_dir / "allocations.csv", profiles, names_on=date.today())
    print_summary(result, time.perf_counter() - t)
    console.print()
    render_suggestion(console, suggest_assessment(assessment_from_file(src, "A00000007"), profiles))


DEMO_MONTH = "2024-03"  # last month of the demo contracts, inside the synthetic trust's 5-year history


def trust_step(out_dir: Path, db: str, people: int) -> None:
    from openpbr.access import Scope
    from openpbr.records import cli as records_cli
    from openpbr.services import records as svc

    console.print(Rule("2. Trust: care records, the month's allocations and the review worklist"))
    records_cli.rebuild_demo_database(db, people=people, seed=1)
    engine = svc.engine_for(db)
    try:
        operator = Scope.local_operator("demo")
        records_cli.print_month(svc.month_report(engine, operator, month=DEMO_MONTH), out_dir / "records-month.md")
        records_cli.print_audit_check(svc.verify_audit(engine, operator))
    finally:
        engine.dispose()


def finance_step(out_dir: Path, db: str) -> None:
    from openpbr.access import Scope
    from openpbr.cli_args import month_window
    from openpbr.outcomes.payment_feed import write_payment_results
    from openpbr.payment.cli import print_run, print_stored, write_outputs
    from openpbr.reference import builtin_path
    from openpbr.services import settlement as svc

    console.print(Rule(f"3. Finance: {DEMO_MONTH} settlement statements, outcome payments fed by the indicators"))
    start, end = month_window(DEMO_MONTH)
    contracts = svc.load_contracts(builtin_path("payment", "contracts", "records-demo"))
    # activity and indicator results both from the records database: `openpbr pay settle --db` does the same
    bundle = svc.bundle_for(contracts, start, end, records_db=db)
    write_payment_results(bundle.indicator_results, out_dir / f"indicator_results-{DEMO_MONTH}.csv")
    result = svc.settle_and_store(db, contracts, bundle, start, end, scope=Scope.local_operator())
    print_run(result.run)
    print_stored(result)
    write_outputs(result.run, None, out_dir / f"statements-{DEMO_MONTH}.csv", out_dir / f"statements-{DEMO_MONTH}.pdf")


def commissioner_step(out_dir: Path, db: str) -> None:
    from openpbr.access import Scope
    from openpbr.outcomes import cli as outcomes_cli
    from openpbr.outcomes.charts import funnel_png
    from openpbr.services import outcomes as svc

    console.print(Rule("4. Commissioner: indicators with SPC, gaming and cream-skimming checks"))
    window, source, scope = svc.Window.months("2023-04", DEMO_MONTH), svc.Source(database_url=db), Scope.local_operator()
    run = svc.indicators(source, window, scope)
    outcomes_cli._write_csv(run.results, out_dir / "indicators.csv")
    console.print(f"{run.results.num_rows} indicator rows -> {out_dir / 'indicators.csv'}; outcome pairs: {run.pair_status}")
    checks = svc.gaming(source, window, scope, funnel_unit_type="provider")
    outcomes_cli._write_csv(checks.findings, out_dir / "gaming-findings.csv")
    for f in checks.flagged:
        console.print(f"[bold]{f.unit_type} {f.unit}[/bold] {f.detector}: {f.reason}")
    console.print(f"gaming and selection: {checks.summary()} (thresholds {checks.thresholds_ref})")
    funnel_png(checks.funnel, "Reliable improvement: observed / case-mix expected", out_dir / "outcome-funnel.png")
    outcomes_cli.charts(results=out_dir / "indicators.csv", out_dir=out_dir / "charts", unit_type="trust", unit=None, indicator=["within_review_pct", "reviews_overdue", "paired_outcome_coverage", "red_rule_breach_rate"])
    r = svc.report(source, window, scope, out_dir / "outcomes-report.pdf", "Demo trust: outcomes and quality indicators")
    console.print(f"report -> {r.path}")


def service_user_step(db: str) -> None:
    import calendar
    from datetime import date

    from openpbr.access import Role, Scope
    from openpbr.records import cli as records_cli
    from openpbr.records.extract import cluster_periods
    from openpbr.services import records as svc

    console.print(Rule("5. Service user: my cluster, my care package, my next review, what my care costs"))
    y, m = (int(x) for x in DEMO_MONTH.split("-"))
    month_end = date(y, m, calendar.monthrange(y, m)[1])
    in_care = cluster_periods(db, month_end, month_end)  # periods covering the last day of the month
    person = min(in_care["person"].to_pylist())
    me = Scope(actor=person, role=Role.SERVICE_USER, person=person)  # a service user sees only their own record
    engine = svc.engine_for(db)
    try:
        with svc.transaction(engine) as s:
            view = svc.my_care(s, me, person=person, as_of=month_end)
    finally:
        engine.dispose()
    records_cli.print_my_care(view)


def demo_command(
    out_dir: Path = typer.Option(Path("openpbr-demo"), "--out", help="Folder for the demo's output files (and its SQLite database)."),
    people: int = typer.Option(5_000, help="Service users in the synthetic demo trust."),
    db: str | None = typer.Option(None, "--db", help="Database URL (default: a SQLite file in the output folder)."),
) -> None:
    """Run the main job on the embedded default: cluster, run the trust's month, settle, measure."""
    out_dir.mkdir(parents=True, exist_ok=True)
    url = db or f"sqlite:///{(out_dir / 'openpbr-demo.sqlite').resolve()}"
    clinician_step(out_dir)
    trust_step(out_dir, url, people)
    finance_step(out_dir, url)
    commissioner_step(out_dir, url)
    service_user_step(url)
    console.print(Rule())
    console.print(f"Outputs written to {out_dir.resolve()}", soft_wrap=True)
    for p in sorted(out_dir.rglob("*")):
        if p.is_file() and not p.name.endswith(("-wal", "-shm")):
            console.print(f"  {p.relative_to(out_dir)}", soft_wrap=True)
    # Every command reads the one default database: point it at the demo's to carry on.
    from openpbr.db import is_sqlite, redact_url

    console.print("Carry on with the demo's database:")
    console.print(f"  export OPENPBR_DATABASE_URL={url if is_sqlite(url) else redact_url(url)}", soft_wrap=True, markup=False)
    import calendar

    y, m = (int(x) for x in DEMO_MONTH.split("-"))
    console.print(f"  openpbr records worklist --as-of {DEMO_MONTH}-{calendar.monthrange(y, m)[1]:02d}", soft_wrap=True,
                  markup=False)
    console.print("Reach it through the API and the web pages (development sign-in, this machine only):")
    console.print("  openpbr serve --dev-signin", soft_wrap=True, markup=False)
    console.print("  then open http://127.0.0.1:8000/ (pages), /docs (API) or /v1 (REST, a bearer token from "
                  "POST /v1/auth/dev-token)", soft_wrap=True, markup=False)
