"""`openpbr cluster`, `openpbr explain`, `openpbr calibrate`, `openpbr reference`."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn
from rich.table import Table

from openpbr.clustering.batch import Summary, UnreadableFile, cluster_file
from openpbr.clustering.calibrate_cli import calibrate_command
from openpbr.clustering.codes import DESCRIPTIONS, ResultCode
from openpbr.clustering.profiles import load_profiles
from openpbr.clustering.ratings import ITEM_CODES, Assessment, AssessmentError

console = Console(stderr=True)


def cluster_command(
    in_path: Path = typer.Option(..., "--in", help="Assessments CSV (assessment_id, item_01..item_13, item_08_type, hist_a..hist_e; optional assessed_on, psychosis_history, age, previous_cluster)."),
    out_path: Path = typer.Option(..., "--out", help="Allocations CSV to write (one row per input row, same order)."),
    profiles_path: Path | None = typer.Option(None, "--profiles", help="Profile set YAML (default: the shipped provisional set)."),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when any row could not be clustered."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar or summary."),
) -> None:
    """Suggest a care cluster for every assessment in a CSV file."""
    try:
        profiles = load_profiles(profiles_path)
    except (OSError, ValueError) as exc:
        console.print(f"[red]Cannot load profile set:[/red] {exc}")
        raise typer.Exit(2)
    started = time.perf_counter()
    try:
        size = in_path.stat().st_size if in_path.exists() else 0
        with Progress(
            TextColumn("[bold]Clustering"), BarColumn(), TransferSpeedColumn(), TimeElapsedColumn(),
            console=console, disable=quiet or size < (4 << 20), transient=True,
        ) as bar:  # fmt: skip
            task = bar.add_task("cluster", total=size)
            summary = cluster_file(in_path, out_path, profiles, progress=lambda pos, rows: bar.update(task, completed=pos))
    except UnreadableFile as exc:
        console.print(f"[red]Unreadable input:[/red] {exc}", soft_wrap=True)
        raise typer.Exit(2)
    if not quiet:
        print_summary(summary, profiles.ref, profiles.provisional, time.perf_counter() - started, out_path)
    if strict and summary.bad_rows:
        raise typer.Exit(1)


def print_summary(summary: Summary, ref: str, provisional: bool, seconds: float, out_path: Path) -> None:
    out = Console()
    out.print(f"Clustered {summary.rows:,} assessments in {seconds:.2f}s with profile set {ref}" + (" (provisional)" if provisional else ""), soft_wrap=True)
    t = Table(title="Result codes", show_edge=False)
    t.add_column("code")
    t.add_column("rows", justify="right")
    t.add_column("meaning")
    for code, n in sorted(summary.codes.items(), key=lambda kv: (-kv[1], kv[0])):
        t.add_row(code, f"{n:,}", DESCRIPTIONS[ResultCode(code)])
    out.print(t)
    if summary.clusters:
        from datetime import date

        from openpbr.reference import builtin_dataset

        names = builtin_dataset("clusters")
        c = Table(title="Suggested clusters", show_edge=False)
        for col, just in (("cluster", "left"), ("name", "left"), ("rows", "right")):
            c.add_column(col, justify=just)
        for code, n in sorted(summary.clusters.items()):
            c.add_row(code, names.resolve(code, date.today()).value["name"], f"{n:,}")
        out.print(c)
    out.print(f"Rows whose candidates break a red rule: {summary.red_rule_rows:,}. Output: {out_path}", soft_wrap=True)


def explain_command(
    ratings: str = typer.Option(None, "--ratings", help="18 ratings in item order, comma-separated (item_01..item_13, hist_a..hist_e)."),
    in_path: Path | None = typer.Option(None, "--in", help="Or: a CSV file to take the assessment from."),
    assessment_id: str | None = typer.Option(None, "--id", help="With --in: the assessment_id to explain."),
    assessed_on: str | None = typer.Option(None, help="ISO date of the assessment."),
    psychosis_history: str | None = typer.Option(None, help="Y or N."),
    age: str | None = typer.Option(None),
    previous_cluster: str | None = typer.Option(None),
    profiles_path: Path | None = typer.Option(None, "--profiles"),
    as_json: bool = typer.Option(False, "--json", help="Print the full trace as JSON."),
) -> None:
    """Explain the suggestion for one assessment: fits, runners-up, red rules, review date."""
    from openpbr.clustering.explain import render_allocation, row_from_file
    from openpbr.clustering.suggest import suggest

    if in_path is not None:
        row = row_from_file(in_path, assessment_id)
        if row is None:
            console.print(f"[red]No row with assessment_id {assessment_id!r} in {in_path}[/red]")
            raise typer.Exit(2)
    elif ratings:
        values = [v.strip() for v in ratings.split(",")]
        if len(values) != len(ITEM_CODES):
            console.print(f"[red]--ratings needs {len(ITEM_CODES)} values, got {len(values)}[/red]")
            raise typer.Exit(2)
        row = dict(zip(ITEM_CODES, values))
        row.update(assessment_id="cli", assessed_on=assessed_on, psychosis_history=psychosis_history, age=age, previous_cluster=previous_cluster)
    else:
        console.print("[red]Give --ratings or --in with --id[/red]")
        raise typer.Exit(2)
    try:
        assessment = Assessment.from_mapping(row)
    except AssessmentError as err:
        console.print(f"[red]{err.code.value}[/red]: {err}")
        raise typer.Exit(1)
    allocation = suggest(assessment, load_profiles(profiles_path))
    if as_json:
        import json

        sys.stdout.write(json.dumps(allocation.trace | {"message": allocation.message}, indent=2, default=str) + "\n")
    else:
        render_allocation(Console(), assessment, allocation, load_profiles(profiles_path))


def reference_command(
    dataset: str = typer.Argument(None, help="Dataset name (file stem under data/reference); omit to list them."),
    on: str | None = typer.Option(None, help="Show entries in force on this ISO date (default: all history)."),
) -> None:
    """Show shipped reference data with its provenance and version."""

    from openpbr.cli_args import parse_date
    from openpbr.reference import builtin_dataset, builtin_path

    out = Console()
    day = parse_date(on) if on else None
    if not dataset:
        t = Table(title="Reference datasets", show_edge=False)
        for col in ("name", "dataset", "version", "entries"):
            t.add_column(col)
        for p in sorted(builtin_path("reference").glob("*.yaml")):
            ds = builtin_dataset(p.stem)
            t.add_row(p.stem, ds.dataset, ds.version, str(len(ds.entries)))
        out.print(t)
        return
    ds = builtin_dataset(dataset)
    t = Table(title=f"{ds.ref}", show_edge=False)
    for col in ("key", "valid from", "valid to", "value", "source"):
        t.add_column(col, overflow="fold")
    entries = list(ds.in_force(day)) if day else [e for k in ds.keys() for e in ds.history(k)]
    for e in entries:
        t.add_row(e.key, str(e.valid_from), str(e.valid_to or ""), str(e.value), e.provenance.label())
    out.print(t)


def confirm_command(
    in_path: Path = typer.Option(..., "--in", help="Assessments CSV (as for `openpbr cluster`)."),
    decisions: Path = typer.Option(..., "--decisions", help="CSV: assessment_id, chosen_cluster, chosen_by, override_reason, optional decided_on."),
    out_path: Path = typer.Option(..., "--out", help="Checked decisions CSV (its `cluster` column can feed `openpbr calibrate`)."),
    profiles_path: Path | None = typer.Option(None, "--profiles"),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when any decision was refused."),
) -> None:
    """Record clinicians' decisions: an override needs a reason when it differs from the suggestion or breaks a red rule."""
    from openpbr.clustering.confirm import confirm_file

    for p in (in_path, decisions):
        if not p.is_file():
            console.print(f"[red]Unreadable input:[/red] {p}: no such file")
            raise typer.Exit(2)
    counts = confirm_file(in_path, decisions, out_path, load_profiles(profiles_path))
    t = Table(title="Clinician decisions", show_edge=False)
    t.add_column("decision")
    t.add_column("rows", justify="right")
    for code, n in sorted(counts.items()):
        t.add_row(code, f"{n:,}")
    Console().print(t)
    refused = sum(n for c, n in counts.items() if c not in ("CONFIRMED", "OVERRIDDEN"))
    if strict and refused:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("cluster")(cluster_command)
    app.command("explain")(explain_command)
    app.command("confirm")(confirm_command)
    app.command("reference")(reference_command)
    app.command("calibrate")(calibrate_command)
