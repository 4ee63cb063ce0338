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
    from openpbr.clustering.batch import cluster_file
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

    t = time.perf_counter()
    summary = cluster_file(src, out, profiles)
    print_summary(summary, profiles.ref, profiles.provisional, time.perf_counter() - t, out)
    console.print()
    example = row_from_file(src, "A00000007")
    assessment = Assessment.from_mapping(example)
    render_allocation(console, assessment, suggest(assessment, profiles), profiles)


STEPS = [clinician_step]


def demo_command(
    out_dir: Path = typer.Option(Path("openpbr-demo"), "--out", help="Folder for the demo's output files."),
) -> None:
    """Run the main job on the embedded default: cluster, run the trust's month, settle, measure."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for step in STEPS:
        step(out_dir)
        console.print()
    console.print(f"Outputs written to {out_dir.resolve()}", soft_wrap=True)
