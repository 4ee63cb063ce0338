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
    from openpbr.clustering.cli import print_summary
    from openpbr.clustering.explain import render_allocation, row_from_file
    from openpbr.clustering.profiles import load_profiles
    from openpbr.clustering.ratings import Assessment
    from openpbr.clustering.suggest import suggest
    from openpbr.reference import builtin_path

    console.print(Rule("1. Clinician: MHCT cluster suggestions"))
    src = builtin_path("demo", "assessments.csv")
    out = out_dir / "allocations.csv"
    profiles = load_profiles()
    import time
    from datetime import date

    from openpbr.services.clustering import cluster_csv

    t = time.perf_counter()
    print_summary(cluster_csv(src, out, profiles, names_on=date.today()), time.perf_counter() - t)
    console.print()
    example = row_from_file(src, "A00000007")
    assessment = Assessment.from_mapping(example)
    render_allocation(console, assessment, suggest(assessment, profiles), profiles)


DEMO_MONTH = "2024-03"  # last month of the demo contracts, inside the synthetic trust's 5-year history


def trust_step(out_dir: Path, db: str, people: int) -> None:
    from openpbr.records import cli as records_cli

    console.print(Rule("2. Trust: care records, the month's allocations and the review worklist"))
    records_cli.demo(people=people, seed=1, month=DEMO_MONTH, report=out_dir / "records-month.md", db=db)
    records_cli.verify(expect_head=None, db=db)


def finance_step(out_dir: Path, db: str) -> None:
    from datetime import date

    from openpbr.outcomes.indicators import compute_indicators
    from openpbr.outcomes.payment_feed import ContractKey, payment_indicator_results
    from openpbr.outcomes.records_adapter import read_inputs
    from openpbr.payment.cli import print_run, write_outputs
    from openpbr.payment.contracts import load_contracts
    from openpbr.payment.records_source import bundle_from_records
    from openpbr.payment.settle import settle
    from openpbr.reference import builtin_path

    console.print(Rule(f"3. Finance: {DEMO_MONTH} settlement statements, outcome payments fed by the indicators"))
    y, m = (int(x) for x in DEMO_MONTH.split("-"))
    start, end = date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
    contracts = load_contracts(builtin_path("payment", "contracts", "records-demo"))
    indicators = compute_indicators(read_inputs(db, start, end), start, end)
    bundle = bundle_from_records(db, start, end)
    keys = [ContractKey(c.contract_id, c.provider, c.commissioner) for c in contracts]
    # split by need group so contracts with social-value weights can weight people with the greatest needs
    bundle.indicator_results = payment_indicator_results(indicators.results, keys, start, start, by_need_group=True)
    run = settle(contracts, bundle, start, end)
    print_run(run)
    write_outputs(run, db, out_dir / f"statements-{DEMO_MONTH}.csv", out_dir / f"statements-{DEMO_MONTH}.pdf")


def commissioner_step(out_dir: Path, db: str) -> None:
    from openpbr.outcomes import cli as outcomes_cli

    console.print(Rule("4. Commissioner: indicators with SPC, gaming and cream-skimming checks"))
    first = "2023-04"
    outcomes_cli.indicators(start=first, end=DEMO_MONTH, db=db, csv=None, synthetic=None, out=out_dir / "indicators.csv")
    outcomes_cli.gaming(start=first, end=DEMO_MONTH, db=db, csv=None, synthetic=None, out=out_dir / "gaming-findings.csv", set_=[], funnel=out_dir / "outcome-funnel.png")
    outcomes_cli.charts(results=out_dir / "indicators.csv", out_dir=out_dir / "charts", unit_type="trust", unit=None, indicator=["within_review_pct", "reviews_overdue", "paired_outcome_coverage", "red_rule_breach_rate"])
    outcomes_cli.report(start=first, end=DEMO_MONTH, db=db, csv=None, synthetic=None, out=out_dir / "outcomes-report.pdf", title="Demo trust: outcomes and quality indicators")


def service_user_step(db: str) -> None:
    import calendar
    from datetime import date

    from openpbr.records import cli as records_cli
    from openpbr.records.extract import cluster_periods

    console.print(Rule("5. Service user: my cluster, my care package, my next review, what my care costs"))
    y, m = (int(x) for x in DEMO_MONTH.split("-"))
    month_end = date(y, m, calendar.monthrange(y, m)[1])
    in_care = cluster_periods(db, month_end, month_end)  # periods covering the last day of the month
    records_cli.my_care_command(person=min(in_care["person"].to_pylist()), as_of=month_end.isoformat(), db=db)


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
