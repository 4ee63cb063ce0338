"""XmR charts with the NHS 'Making Data Count' special-cause rules.

Mean of the points; moving range MR = |x_i - x_(i-1)|; process limits =
mean +/- 2.66 x mean MR. Special cause (constants in outcomes.spc_rules):

- beyond:       a point above the upper or below the lower process limit
- shift:        a run of 7 or more consecutive points on one side of the mean
                (a point exactly on the mean ends the run)
- trend:        7 or more consecutive points each higher (or each lower) than
                the one before (an equal value ends the run)
- two_of_three: two of three consecutive points in the outer third on one side
                (beyond mean +/- 2 sigma, sigma = mean MR / 1.128)

Months with no value (denominator 0) are left out of the series, not zero.
Each special point is classed improvement / concern from the indicator's
low_is_good, or 'neither' when direction has no meaning.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openpbr.outcomes.config import Settings, spc_rules


@dataclass(frozen=True)
class XmR:
    labels: list[str]
    values: np.ndarray
    mean: float
    moving_range: np.ndarray  # NaN for the first point
    mr_mean: float
    ucl: float
    lcl: float
    mr_ucl: float
    beyond: np.ndarray
    shift: np.ndarray
    trend: np.ndarray
    two_of_three: np.ndarray
    side: np.ndarray  # +1 high side, -1 low side, 0 none
    variation: list[str]  # common_cause | improvement | concern | neither
    rules_ref: str

    @property
    def special(self) -> np.ndarray:
        flags: np.ndarray = self.beyond | self.shift | self.trend | self.two_of_three
        return flags


def _runs(flag: np.ndarray, length: int) -> np.ndarray:
    """Mark every position inside a run of at least ``length`` consecutive true values."""
    out = np.zeros(len(flag), bool)
    start = None
    for i, f in enumerate(np.append(flag, False)):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i - start >= length:
                out[start:i] = True
            start = None
    return out


def xmr(values: Sequence[float] | np.ndarray, labels: Sequence[object] | None = None, low_is_good: bool | None = None,
        rules: Settings | None = None) -> XmR:
    rules = rules or spc_rules()
    x = np.asarray(values, float)
    keep = ~np.isnan(x)
    x = x[keep]
    kept = [str(l) for l, k in zip(labels if labels is not None else range(len(keep)), keep) if k]
    n = len(x)
    lim = rules["limits"]
    mean = float(x.mean()) if n else float("nan")
    mr = np.concatenate([[np.nan], np.abs(np.diff(x))]) if n else np.zeros(0)
    mr_mean = float(np.nanmean(mr)) if n > 1 else 0.0
    half = float(lim["scaling"]) * mr_mean
    ucl, lcl = mean + half, mean - half
    tol = 1e-9 * max(1.0, abs(mean)) if n else 0.0  # float noise in the mean is not a signal
    beyond = (x > ucl + tol) | (x < lcl - tol)
    above, below = x > mean + tol, x < mean - tol
    shift_len = int(rules["shift"]["run_length"])
    shift = _runs(above, shift_len) | _runs(below, shift_len)
    # trend of L points = L-1 consecutive increases; mark the points, including the first one
    t_len = int(rules["trend"]["run_length"])
    up = np.concatenate([[False], np.diff(x) > 0]) if n else np.zeros(0, bool)
    down = np.concatenate([[False], np.diff(x) < 0]) if n else np.zeros(0, bool)
    trend_up = _runs(up, t_len - 1)
    trend_down = _runs(down, t_len - 1)
    for tr in (trend_up, trend_down):
        starts = np.nonzero(tr & ~np.concatenate([[False], tr[:-1]]))[0]
        tr[np.maximum(starts - 1, 0)] = True
    trend = trend_up | trend_down
    t3 = rules["two_of_three"]
    band = float(t3["sigma_fraction"]) * half
    hi_zone, lo_zone = x > mean + band + tol, x < mean - band - tol
    two3 = np.zeros(n, bool)
    w, c = int(t3["window"]), int(t3["count"])
    for zone in (hi_zone, lo_zone):
        for i in range(max(n - w + 1, 0)):
            if zone[i:i + w].sum() >= c:
                two3[i:i + w] |= zone[i:i + w]
    side = np.zeros(n, int)
    side[(beyond & (x > mean)) | (shift & above) | trend_up | (two3 & hi_zone)] = 1
    side[(beyond & (x < mean)) | (shift & below) | trend_down | (two3 & lo_zone)] = -1
    special = beyond | shift | trend | two3
    variation = []
    for s, sp in zip(side, special):
        if not sp:
            variation.append("common_cause")
        elif low_is_good is None:
            variation.append("neither")
        else:
            good = (s < 0) if low_is_good else (s > 0)
            variation.append("improvement" if good else "concern")
    return XmR(kept, x, mean, mr, mr_mean, ucl, lcl, float(lim["mr_upper_scaling"]) * mr_mean,
               beyond, shift, trend, two3, side, variation, rules.ref)


def series(results: pa.Table, indicator_id: str, unit_type: str = "trust", unit: str = "all") -> tuple[list[str], np.ndarray, bool | None]:
    """Monthly values of one indicator for one unit, in period order, from an indicator results table."""
    m = pc.and_(pc.and_(pc.equal(results["indicator_id"], indicator_id), pc.equal(results["unit_type"], unit_type)), pc.equal(results["unit"], unit))
    t = results.filter(m).sort_by("period")
    low = t["low_is_good"][0].as_py() if t.num_rows else None
    vals = np.array([np.nan if v is None else v for v in t["value"].to_pylist()], float)
    return t["period"].to_pylist(), vals, low


def xmr_table(results: pa.Table, unit_types: Sequence[str] = ("trust", "provider"), rules: Settings | None = None) -> pa.Table:
    """XmR points for every indicator x unit with at least ``min_points`` months: the chart data."""
    rules = rules or spc_rules()
    min_points = int(rules["limits"]["min_points"])
    keys = results.select(["indicator_id", "unit_type", "unit"]).group_by(["indicator_id", "unit_type", "unit"]).aggregate([])
    cols: dict[str, list[Any]] = {k: [] for k in ("indicator_id", "unit_type", "unit", "period", "value", "mean", "ucl", "lcl", "moving_range",
                            "beyond", "shift", "trend", "two_of_three", "variation")}
    for ind, ut, u in zip(*(keys[c].to_pylist() for c in ("indicator_id", "unit_type", "unit"))):
        if ut not in unit_types:
            continue
        labels, vals, low = series(results, ind, ut, u)
        if np.sum(~np.isnan(vals)) < min_points:
            continue
        c = xmr(vals, labels, low, rules)
        k = len(c.labels)
        for name, v in (("indicator_id", [ind] * k), ("unit_type", [ut] * k), ("unit", [u] * k), ("period", c.labels),
                        ("value", c.values), ("mean", [c.mean] * k), ("ucl", [c.ucl] * k), ("lcl", [c.lcl] * k),
                        ("moving_range", c.moving_range), ("beyond", c.beyond), ("shift", c.shift), ("trend", c.trend),
                        ("two_of_three", c.two_of_three), ("variation", c.variation)):
            cols[name].extend(list(v))
    cols["moving_range"] = [None if (isinstance(v, float) and np.isnan(v)) else v for v in cols["moving_range"]]
    return pa.table({k: pa.array(v) if v else pa.array([], pa.string()) for k, v in cols.items()})
