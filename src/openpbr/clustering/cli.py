"""`openpbr cluster`, `openpbr explain`, `openpbr calibrate`, `openpbr reference`."""

from __future__ import annotations

import sys
import time
from datetime import date
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TransferSpeedColumn
from rich.table import Table

from openpbr.clustering.calibrate_cli import calibrate_command
from openpbr.clustering.ratings import ITEM_CODES
from openpbr.errors import InputError
from openpbr.services.clustering import ClusterFileResult, Suggestion

console = Console(stderr=True)


def iso_date(text: str | None, option: str) -> date | None:
    """An ISO date argument, or one line naming the option."""
    if text is None or not text.strip():
        return None
    try:
        if not text.isascii():
            raise ValueError(text)
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InputError(f"{option}: {text[:40]!r} is not a date; use YYYY-MM-DD") from None


def cluster_command(
    in_path: Path = typer.Option(..., "--in", help="Assessments CSV (assessment_id, item_01..item_13, item_08_type, hist_a..hist_e; optional assessed_on, psychosis_history, age, previous_cluster). UTF-8, or cp1252 with a warning."),
    out_path: Path = typer.Option(..., "--out", help="Allocations CSV to write (one row per input row, same order; missing folders are created)."),
    profiles_path: Path | None = typer.Option(None, "--profiles", help="Profile set YAML (default: the shipped provisional set)."),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when any row could not be clustered."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar or summary."),
) -> None:
    """Suggest a care cluster for every assessment in a CSV file."""
    from openpbr.services.clustering import cluster_csv, profile_set

    profiles = profile_set(profiles_path)
    started = time.perf_counter()
    size = in_path.stat().st_size if in_path.is_file() else 0
    with Progress(
        TextColumn("[bold]Clustering"), BarColumn(), TransferSpeedColumn(), TimeElapsedColumn(),
        console=console, disable=quiet or size < (4 << 20), transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("cluster", total=size)
        result = cluster_csv(in_path, out_path, profiles, names_on=date.today(), progress=lambda pos, rows: bar.update(task, completed=pos))
    for w in result.warnings:
        console.print(f"warning: {w}", soft_wrap=True, markup=False, highlight=False)
    if not quiet:
        print_summary(result, time.perf_counter() - started)
    if strict and result.bad_rows:
        raise typer.Exit(1)


def print_summary(result: ClusterFileResult, seconds: float) -> None:
    out = Console()
    provisional = " (provisional)" if result.provisional else ""
    out.print(f"Clustered {result.rows:,} assessments in {seconds:.2f}s with profile set {result.profile_set}{provisional}", soft_wrap=True)
    t = Table(title="Result codes", show_edge=False)
    t.add_column("code")
    t.add_column("rows", justify="right")
    t.add_column("meaning")
    for c in result.codes:
        t.add_row(c.code, f"{c.rows:,}", c.meaning)
    out.print(t)
    if result.clusters:
        c = Table(title="Suggested clusters", show_edge=False)
        for col, just in (("cluster", "left"), ("name", "left"), ("rows", "right")):
            c.add_column(col, justify=just)
        for k in result.clusters:
            c.add_row(k.cluster, k.name, f"{k.rows:,}")
        out.print(c)
    out.print(f"Rows whose candidates break a red rule: {result.red_rule_rows:,}. Output: {result.output}", soft_wrap=True)


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
    from openpbr.services.clustering import assessment_from_file, profile_set, suggest_assessment

    if in_path is not None:
        row = assessment_from_file(in_path, assessment_id)
    elif ratings:
        values = [v.strip() for v in ratings.split(",")]
        if len(values) != len(ITEM_CODES):
            raise InputError(f"--ratings needs {len(ITEM_CODES)} values, got {len(values)}")
        row = dict(zip(ITEM_CODES, values))
        row.update(assessment_id="cli", assessed_on=assessed_on, psychosis_history=psychosis_history, age=age, previous_cluster=previous_cluster)
    else:
        raise InputError("give --ratings, or --in (with --id to choose the row)")
    profiles = profile_set(profiles_path)
    suggestion = suggest_assessment(row, profiles)
    if suggestion.problems:
        console.print(f"{suggestion.result_code}: {suggestion.message}", markup=False, highlight=False)
        raise typer.Exit(1)
    if as_json:
        import json

        sys.stdout.write(json.dumps(suggestion.trace | {"message": suggestion.message}, indent=2, default=str) + "\n")
    else:
        render_suggestion(Console(), suggestion)


def render_suggestion(out: Console, s: "Suggestion") -> None:
    out.print(f"[bold]Assessment {s.assessment_id}[/bold]  result: [bold]{s.result_code}[/bold]")
    out.print(s.message)
    if s.cluster:
        out.print(f"Super class: {s.super_class or '-'}   Suggested cluster: [bold]{s.cluster}[/bold]   fit {s.fit:.3f}")
    if s.review_due:
        out.print(f"Review due by: {s.review_due.isoformat()} (maximum review period for cluster {s.cluster})")
    if s.candidates:
        t = Table(title="Candidates", show_edge=False)
        for col in ("rank", "cluster", "name", "fit", "red rules broken"):
            t.add_column(col)
        for c in s.candidates:
            t.add_row(str(c.rank), c.cluster, c.name, f"{c.fit:.3f}", "; ".join(r.reason for r in c.red_rules) or "none")
        out.print(t)
        t = Table(title=f"Ratings against the profile of cluster {s.candidates[0].cluster}", show_edge=False)
        for col in ("item", "short label", "rating", "band"):
            t.add_column(col)
        for i in s.items:
            t.add_row(i.item, i.label, "9 (not known)" if i.rating is None else str(i.rating), i.band)
        out.print(t)
    note = "provisional (derived, not the national grid)" if s.provisional else "local"
    out.print(f"Profile set {s.profile_set}: {note}. This is decision support: the clinician chooses the cluster and records a reason when it differs.")


def reference_command(
    dataset: str = typer.Argument(None, help="Dataset name (file stem under data/reference); omit to list them."),
    on: str | None = typer.Option(None, help="Show entries in force on this ISO date (default: all history)."),
) -> None:
    """Show shipped reference data with its provenance and version."""
    from openpbr.services.clustering import list_reference_datasets, reference_dataset

    out = Console()
    day = iso_date(on, "--on")  # checked first, so a bad date is refused even when only listing
    if not dataset:
        t = Table(title="Reference datasets", show_edge=False)
        for col in ("name", "dataset", "version", "entries"):
            t.add_column(col)
        for d in list_reference_datasets():
            t.add_row(d.name, d.dataset, d.version, str(d.entries))
        out.print(t)
        return
    ds = reference_dataset(dataset, day)
    t = Table(title=f"{ds.ref}", show_edge=False)
    for col in ("key", "valid from", "valid to", "value", "source"):
        t.add_column(col, overflow="fold")
    for e in ds.items:
        t.add_row(e.key, str(e.valid_from), str(e.valid_to or ""), str(e.value), e.source)
    out.print(t)


def confirm_command(
    in_path: Path = typer.Option(..., "--in", help="Assessments CSV (as for `openpbr cluster`)."),
    decisions: Path = typer.Option(..., "--decisions", help="CSV: assessment_id, chosen_cluster, chosen_by, override_reason, optional decided_on."),
    out_path: Path = typer.Option(..., "--out", help="Checked decisions CSV (its `cluster` column can feed `openpbr calibrate`)."),
    profiles_path: Path | None = typer.Option(None, "--profiles"),
    strict: bool = typer.Option(False, "--strict", help="Exit non-zero when any decision was refused."),
) -> None:
    """Record clinicians' decisions: an override needs a reason when it differs from the suggestion or breaks a red rule."""
    from openpbr.services.clustering import confirm_csv, profile_set

    counts = confirm_csv(in_path, decisions, out_path, profile_set(profiles_path))
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
