"""``openpbr calibrate``: learn a local profile set from a history of confirmed allocations.

Registered in the main CLI with ``app.command("calibrate")(calibrate_command)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from openpbr.cli_args import parse_date

METHODS = ("discriminative", "frequency")  # as openpbr.clustering.calibrate.METHODS; scipy is imported only when calibrating


def calibrate_command(
    in_path: Path = typer.Option(..., "--in", help="History CSV: the `openpbr cluster` input columns plus `cluster` (clinician's final cluster)."),
    out_path: Path = typer.Option(..., "--out", help="Profile-set YAML file to write."),
    method: str = typer.Option("discriminative", "--method", help=f"Learning method: {' or '.join(METHODS)}."),
    base: Optional[Path] = typer.Option(None, "--base", help="Profile set whose context rules and settings are kept (default: the shipped provisional set)."),
    report: Optional[Path] = typer.Option(None, "--report", help="Directory for the agreement report (Markdown + CSV)."),
    name: str = typer.Option("local.calibrated", "--name", help="Name of the profile set written."),
    holdout: float = typer.Option(0.2, "--holdout", min=0.0, max=0.9, help="Share of rows held out to compare methods (0 = none)."),
    variance_share: float = typer.Option(0.02, "--variance-share", min=0.0, max=0.5, help="Target share of history falling to 00."),
    red_coverage: float = typer.Option(0.975, "--red-coverage", min=0.5, max=1.0, help="Share of a cluster's known ratings a red range must hold."),
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Version date YYYY-MM-DD (default today)."),
) -> None:
    """Learn cluster profiles from clinician-confirmed allocations and report agreement."""
    from openpbr.clustering.batch import UnreadableFile
    from openpbr.clustering.calibrate import CalibrationOptions, NothingToLearn, calibrate
    from openpbr.clustering.calibrate_io import read_history
    from openpbr.clustering.calibrate_report import console_tables, write_report
    from openpbr.clustering.profiles import load_profiles

    console = Console(stderr=True)
    try:
        options = CalibrationOptions(
            method=method,
            profile_set=name,
            holdout=holdout,
            variance_share=variance_share,
            red_coverage=red_coverage,
            as_of=parse_date(as_of) if as_of else None,
        )
        base_set = load_profiles(base)
        history = read_history(in_path, base_set)
    except (ValueError, OSError, UnreadableFile) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    console.print(f"read {history.rows_read} rows: {history.rows} usable, {len(history.skipped)} skipped {history.skip_counts or ''}")
    for s in history.skipped[:10]:
        console.print(f"  skipped line {s.line}: {s.message}")
    try:
        result = calibrate(history, base_set, options)
    except NothingToLearn as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1) from exc
    tmp = out_path.with_name(out_path.name + ".part")
    tmp.write_text(result.text, encoding="utf-8")
    tmp.replace(out_path)
    for table in console_tables(result.agreement):
        console.print(table)
    hold = result.metadata.get("holdout")
    if hold:
        figures = ", ".join(f"{m} {v['top1']:.3f}" for m, v in hold["methods"].items())
        console.print(f"held-out top-ranked agreement ({hold['rows']} rows): {figures}")
    if report:
        files = write_report(report, result.agreement, {**result.metadata, "profile_set": name}, history.skipped)
        console.print(f"report: {', '.join(str(f) for f in files)}")
    console.print(f"wrote {out_path} ({result.profiles.ref}, variance threshold {result.profiles.settings.variance_threshold})")
