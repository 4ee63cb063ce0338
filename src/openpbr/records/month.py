"""A trust's month: allocations made, reviews due and done (on time or late), overdue list at month end."""

from __future__ import annotations

import calendar
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from openpbr.io.safe import atomic_open
from openpbr.records import extract
from openpbr.records.extract import Db
from openpbr.records.worklist import review_worklist, summarise


def month_bounds(month: str) -> tuple[date, date]:
    """'2023-06' -> (2023-06-01, 2023-06-30)."""
    year, mon = (int(x) for x in month.split("-"))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


@dataclass
class MonthReport:
    month: str
    start: date
    end: date
    allocations: pa.Table  # cluster periods started in the month
    reviews: pa.Table  # reviews due or done in the month
    discharges: pa.Table
    overdue: pa.Table  # worklist at month end, overdue only
    by_team: pa.Table

    @property
    def allocations_by_cluster(self) -> Counter:
        return Counter(self.allocations["cluster"].to_pylist())

    @property
    def overrides(self) -> int:
        return int(pc.sum(self.allocations["overridden"]).as_py() or 0)

    def _done_in_month(self):
        on = self.reviews["reviewed_on"]
        return pc.fill_null(pc.and_(pc.greater_equal(on, pa.scalar(self.start)), pc.less_equal(on, pa.scalar(self.end))), False)

    @property
    def reviews_done(self) -> int:
        return int(pc.sum(self._done_in_month()).as_py() or 0)

    @property
    def reviews_late(self) -> int:
        return int(pc.sum(pc.and_(self._done_in_month(), self.reviews["late"])).as_py() or 0)

    @property
    def reviews_due(self) -> int:
        due = self.reviews["due_on"]
        return int(pc.sum(pc.and_(pc.greater_equal(due, pa.scalar(self.start)), pc.less_equal(due, pa.scalar(self.end)))).as_py() or 0)


def run_month(db: Db, month: str, *, provider: str | None = None) -> MonthReport:
    start, end = month_bounds(month)
    periods = extract.cluster_periods(db, start, end, provider=provider)
    started = periods.filter(pc.greater_equal(periods["start_on"], pa.scalar(start)))
    reviews = extract.reviews(db, start, end, provider=provider)
    discharges = extract.discharges(db, start, end, provider=provider)
    worklist = review_worklist(db, end, horizon_days=0, provider=provider)
    overdue = worklist.filter(pc.equal(worklist["status"], "overdue"))
    return MonthReport(month, start, end, started, reviews, discharges, overdue, summarise(worklist))


def write_markdown(report: MonthReport, path: str | Path, max_rows: int = 200) -> Path:
    """Markdown report: summary, allocations by cluster, per-team review counts, overdue list (pseudonymous ids)."""
    path = Path(path)
    lines = [
        f"# Trust month {report.month}",
        "",
        f"Period {report.start} to {report.end}. People are shown by pseudonymous id only.",
        "",
        "| Measure | Count |",
        "|---|---:|",
        f"| Allocations made (cluster periods started) | {report.allocations.num_rows} |",
        f"| of which overrides (chosen differs from suggestion or breaks a red rule) | {report.overrides} |",
        f"| Reviews falling due | {report.reviews_due} |",
        f"| Reviews done | {report.reviews_done} |",
        f"| Reviews done late | {report.reviews_late} |",
        f"| Discharges | {report.discharges.num_rows} |",
        f"| Overdue reviews at month end | {report.overdue.num_rows} |",
        "",
        "## Allocations by cluster",
        "",
        "| Cluster | Allocations |",
        "|---|---:|",
        *(f"| {c} | {n} |" for c, n in sorted(report.allocations_by_cluster.items())),
        "",
        "## Reviews overdue at month end by provider and team",
        "",
        "| Provider | Team | Overdue |",
        "|---|---|---:|",
        *(f"| {r['provider']} | {r['team']} | {r['overdue']} |" for r in report.by_team.to_pylist() if r["overdue"]),
        "",
        f"## Overdue list (first {max_rows})",
        "",
        "| Person | Provider | Team | Cluster | Review due | Days overdue |",
        "|---|---|---|---|---|---:|",
        *(f"| {r['person']} | {r['provider']} | {r['team']} | {r['cluster']} | {r['review_due']} | {r['days_overdue']} |"
          for r in report.overdue.slice(0, max_rows).to_pylist()),
        "",
        "Review due dates use the maximum cluster review periods [V]; care transition rules [U] and care packages [D] are provisional reference data.",
        "",
    ]
    with atomic_open(path) as fh:  # folders created; never half-written
        fh.write("\n".join(lines))
    return path
