"""What a clinician sees for one assessment: the suggestion, the runners-up and why."""

from __future__ import annotations

from pathlib import Path

import pyarrow.csv as pacsv
from rich.console import Console
from rich.table import Table

from openpbr.clustering.profiles import ProfileSet, format_ratings
from openpbr.clustering.ratings import ITEM_CODES, NOT_KNOWN, Assessment
from openpbr.clustering.suggest import Allocation
from openpbr.reference import builtin_dataset


def row_from_file(path: Path, assessment_id: str | None) -> dict | None:
    """The first row (or the row with ``assessment_id``) of an assessments CSV, as text values.

    Read as ``openpbr cluster`` reads it: cp1252 accepted, header names in any
    case, ragged rows skipped (they have no trustworthy fields).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from openpbr.clustering.batch import OPTIONAL, REQUIRED
    from openpbr.clustering.csv_layout import UnreadableFile, arrow_message, is_utf8_failure, read_layout

    layout = read_layout(Path(path), REQUIRED, OPTIONAL)
    wanted = [n for n in layout.names if n in layout.present]

    def read(encoding: str) -> pa.Table:
        return pacsv.read_csv(
            str(path),
            read_options=pacsv.ReadOptions(column_names=list(layout.names), skip_rows=1, encoding=encoding),
            parse_options=pacsv.ParseOptions(invalid_row_handler=lambda row: "skip"),
            convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in wanted}, include_columns=wanted),
        )

    try:
        try:
            table = read(layout.encoding)
        except pa.ArrowInvalid as exc:
            if not is_utf8_failure(exc):
                raise
            table = read("cp1252")
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UnreadableFile(arrow_message(Path(path), exc)) from None
    if assessment_id is not None:  # filter in Arrow: only the matching row becomes Python objects
        table = table.filter(pc.equal(table["assessment_id"], assessment_id))
    return table.slice(0, 1).to_pylist()[0] if table.num_rows else None


def band_of(profiles: ProfileSet, cluster: str, item: str, rating: int) -> str:
    ip = profiles.spec.clusters[cluster].item(item)
    if rating == NOT_KNOWN:
        return "not known"
    if ip.red is not None and rating not in ip.red:
        return f"RED: outside {format_ratings(ip.red)}"
    if rating in ip.expected:
        return "expected"
    if rating in ip.possible:
        return "possible"
    return "unexpected"


def render_allocation(out: Console, assessment: Assessment, allocation: Allocation, profiles: ProfileSet) -> None:
    items = builtin_dataset("mhct_items")
    out.print(f"[bold]Assessment {assessment.assessment_id}[/bold]  result: [bold]{allocation.result_code.value}[/bold]")
    out.print(allocation.message)
    if allocation.cluster:
        sc = allocation.super_class or "-"
        out.print(f"Super class: {sc}   Suggested cluster: [bold]{allocation.cluster}[/bold]   fit {allocation.fit:.3f}")
    if allocation.review_due:
        out.print(f"Review due by: {allocation.review_due.isoformat()} (maximum review period for cluster {allocation.cluster})")
    if allocation.candidates:
        t = Table(title="Candidates", show_edge=False)
        for col in ("rank", "cluster", "name", "fit", "red rules broken"):
            t.add_column(col)
        for n, c in enumerate(allocation.candidates, start=1):
            t.add_row(str(n), c.cluster, c.name, f"{c.fit:.3f}", "; ".join(r.reason for r in c.red_rules) or "none")
        out.print(t)
        focus = allocation.candidates[0].cluster
        t = Table(title=f"Ratings against the profile of cluster {focus}", show_edge=False)
        for col in ("item", "short label", "rating", "band"):
            t.add_column(col)
        for code, r in zip(ITEM_CODES, assessment.ratings):
            label = items.resolve(code, profiles.spec.valid_from).value["short_label"]
            t.add_row(code, label, "9 (not known)" if r == NOT_KNOWN else str(r), band_of(profiles, focus, code, r))
        out.print(t)
    note = "provisional (derived, not the national grid)" if profiles.provisional else "local"
    out.print(f"Profile set {profiles.ref}: {note}. This is decision support: the clinician chooses the cluster and records a reason when it differs.")
