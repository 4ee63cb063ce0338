"""Maximum cluster review periods: when the next review is due.

The base date is the MHCT assessment completion date (MHS801 AssToolCompDate).
Weeks are exact days; months are calendar months, clamped to the end of a
shorter month (31 Aug + 6 months = 28/29 Feb), the ADD_MONTHS rule NHS
Digital's ACC36 measure uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from dateutil.relativedelta import relativedelta

from openpbr.reference import Dataset, builtin_dataset


@dataclass(frozen=True)
class ReviewPeriod:
    cluster: str
    unit: str  # "days" or "months"
    length: int
    source: str

    def due(self, assessed_on: date) -> date:
        if self.unit == "days":
            return assessed_on + relativedelta(days=self.length)
        return assessed_on + relativedelta(months=self.length)

    def describe(self) -> str:
        if self.unit == "days" and self.length % 7 == 0:
            return f"{self.length // 7} weeks"
        return f"{self.length} {self.unit}"


def review_periods() -> Dataset:
    return builtin_dataset("review_periods")


def review_period(cluster: str, on: date, dataset: Dataset | None = None) -> ReviewPeriod:
    ds = dataset or review_periods()
    e = ds.resolve(cluster, on)
    return ReviewPeriod(cluster=cluster, unit=e.value["unit"], length=int(e.value["length"]), source=e.provenance.label())


def review_due(assessed_on: date, cluster: str, dataset: Dataset | None = None) -> date:
    """Latest date by which a person in ``cluster`` assessed on ``assessed_on`` must be reviewed."""
    return review_period(cluster, assessed_on, dataset).due(assessed_on)


def add_months(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    """Vectorised calendar-month addition on datetime64[D], clamping the day of month."""
    d = days.astype("datetime64[D]")
    m = d.astype("datetime64[M]")
    day = (d - m).astype(np.int64)  # 0-based day of month
    target = m + months.astype("timedelta64[M]")
    month_len = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64)
    return target.astype("datetime64[D]") + np.minimum(day, month_len - 1).astype("timedelta64[D]")


def review_due_array(assessed_on: np.ndarray, clusters: np.ndarray, dataset: Dataset | None = None) -> np.ndarray:
    """Vectorised review_due for arrays of dates (datetime64[D]) and cluster codes.

    Each row uses the review period in force on its own assessment date; rows
    with no period for their cluster (or NaT dates) get NaT.
    """
    codes, index = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
    return review_due_indexed(assessed_on, index, list(codes), dataset)


def review_due_indexed(assessed_on: np.ndarray, index: np.ndarray, codes: list[str], dataset: Dataset | None = None) -> np.ndarray:
    """As review_due_array, with clusters given as ``codes[index]`` (no string work per row)."""
    ds = dataset or review_periods()
    n = assessed_on.shape[0]
    days = np.zeros(n, dtype=np.int64)
    months = np.zeros(n, dtype=np.int64)
    found = np.zeros(n, dtype=bool)
    for j, key in enumerate(codes):
        history = ds.history(key)
        if not history:
            continue
        rows = index == j
        for e in history:
            mask = rows & (assessed_on >= np.datetime64(e.valid_from, "D"))
            if e.valid_to is not None:
                mask &= assessed_on < np.datetime64(e.valid_to, "D")
            (days if e.value["unit"] == "days" else months)[mask] = int(e.value["length"])
            found |= mask
    out = add_months(assessed_on, months) + days.astype("timedelta64[D]")
    out[~found] = np.datetime64("NaT")
    return out
