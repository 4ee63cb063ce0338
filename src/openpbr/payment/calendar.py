"""Date arithmetic for settlement windows: contract years, accrual by day.

Days are int64 day numbers (days since 1970-01-01); windows are [start, end).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import numpy as np
from dateutil.relativedelta import relativedelta

from openpbr.payment.money import round_fraction
from openpbr.payment.prices import day


def contract_years(valid_from: date, valid_to: date) -> list[tuple[int, int]]:
    """Contract years as [start, end) day numbers: anniversaries of valid_from, last one cut at valid_to."""
    out, y = [], valid_from
    while y < valid_to:
        nxt = min(y + relativedelta(years=1), valid_to)
        out.append((day(y), day(nxt)))
        y = nxt
    return out


def overlap(a0: np.ndarray | int, a1: np.ndarray | int, b0: np.ndarray | int, b1: np.ndarray | int) -> np.ndarray:
    """Days in [a0, a1) ∩ [b0, b1), elementwise, never negative."""
    days: np.ndarray = np.maximum(0, np.minimum(a1, b1) - np.maximum(a0, b0))
    return days


def accrued_to(annual: Fraction, years: list[tuple[int, int]], t: int) -> int:
    """Cumulative amount accrued by day ``t`` (exclusive) of a per-year sum, rounded once (half-up).

    Each contract year accrues ``annual`` evenly over its days; a short final
    year accrues its share of a full year's days.
    """
    total = Fraction(0)
    for y0, y1 in years:
        full = (date.fromordinal(date(1970, 1, 1).toordinal() + y0) + relativedelta(years=1)).toordinal() - (
            date(1970, 1, 1).toordinal() + y0
        )
        total += annual * Fraction(max(0, min(t, y1) - y0), full)
    return round_fraction(total)


def accrue(annual: Fraction | int, years: list[tuple[int, int]], start: int, end: int) -> int:
    """Amount of a per-year sum falling in the window [start, end): difference of cumulative amounts."""
    a = Fraction(annual)
    return accrued_to(a, years, end) - accrued_to(a, years, start)


def year_fraction(years: list[tuple[int, int]], start: int, end: int) -> Fraction:
    """Exact fraction of a contract year covered by the window (sum over the contract years it touches)."""
    f = Fraction(0)
    for y0, y1 in years:
        full = (date.fromordinal(date(1970, 1, 1).toordinal() + y0) + relativedelta(years=1)).toordinal() - (
            date(1970, 1, 1).toordinal() + y0
        )
        f += Fraction(max(0, min(end, y1) - max(start, y0)), full)
    return f


def months_started(years: list[tuple[int, int]], t: int) -> Fraction:
    """Contract-year fraction of monthly instalments due before day ``t`` (1/12 per month started)."""
    f = Fraction(0)
    for y0, _y1 in years:
        d0 = date.fromordinal(date(1970, 1, 1).toordinal() + y0)
        for k in range(12):
            if day(d0 + relativedelta(months=k)) < min(t, _y1):
                f += Fraction(1, 12)
    return f


def fiscal_year(d: int | np.ndarray) -> np.ndarray:
    """NHS financial (tariff) year starting 1 April, as the starting calendar year (2017 = 2017/18)."""
    dd = np.asarray(d, dtype=np.int64).astype("timedelta64[D]") + np.datetime64("1970-01-01", "D")
    y = dd.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dd.astype("datetime64[M]").astype(np.int64) % 12 + 1
    return np.where(m >= 4, y, y - 1)


def tariff_year_label(y: int) -> str:
    return f"{y}/{(y + 1) % 100:02d}"
