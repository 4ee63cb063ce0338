"""``openpbr calibrate``: learn a local profile set from a history of confirmed allocations.

Registered in the main CLI with ``app.command("calibrate")(calibrate_command)``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from openpbr.errors import ExitCode, InputError


class NothingUsable(InputError):
    """Every row of the history was skipped: exit 1, as for rejected rows."""

    code = "NOTHING_TO_LEARN"
    exit_code = ExitCode.ROWS_REJECTED


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
    as_of: Optional[str] = typer.Option(None, "--as-of", help="Version date YYYY-MM-DD written into the profile set (default: today)."),
) -> None:
    """Learn cluster profiles from clinician-confirmed allocations and report agreement."""
    from openpbr.clustering.calibrate import CalibrationOptions, NothingToLearn, calibrate
    from openpbr.clustering.calibrate_io import read_history
    from openpbr.clustering.calibrate_report import console_tables, write_report

    from openpbr.clustering.cli import iso_date
    from openpbr.io.safe import atomic_path
    from openpbr.services.clustering import profile_set

    console = Console(stderr=True)
    if method not in METHODS:
        raise InputError(f"--method: {method[:40]!r} is not one of {', '.join(METHODS)}")
    options = CalibrationOptions(
        method=method,
        profile_set=name,
        holdout=holdout,
        variance_share=variance_share,
        red_coverage=red_coverage,
        as_of=iso_date(as_of, "--as-of") or date.today(),
    )
    base_set = profile_set(base)
    history = read_history(in_path, base_set)
    for w in history.warnings:
        console.print(f"warning: {w}", soft_wrap=True, markup=False, highlight=False)
    console.print(f"read {history.rows_read} rows: {history.rows} usable, {len(history.skipped)} skipped {history.skip_counts or ''}")
    for s in history.skipped[:10]:
        console.print(f"  skipped line {s.line}: {s.message}")
    try:
        result = calibrate(history, base_set, options)
    except NothingToLearn as exc:
        raise NothingUsable(str(exc)) from None
    with atomic_path(out_path) as tmp:
        tmp.write_text(result.text, encoding="utf-8")
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
