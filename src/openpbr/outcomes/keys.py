"""Small vectorised helpers: (group, day) sort keys, next/previous true, months."""

from __future__ import annotations

import numpy as np

DAY_BITS = 32


def day_key(group: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Sortable int64 key: group code in the high bits, day number (>= 0) in the low bits."""
    return (group.astype(np.int64) << DAY_BITS) | np.clip(day, 0, (1 << DAY_BITS) - 1).astype(np.int64)


def last_at_or_before(sorted_keys: np.ndarray, group: np.ndarray, sorted_group: np.ndarray, query_keys: np.ndarray) -> np.ndarray:
    """Index of the last sorted row of the same group with key <= query, or -1."""
    idx = np.searchsorted(sorted_keys, query_keys, side="right") - 1
    ok = idx >= 0
    ok[ok] = sorted_group[idx[ok]] == group[ok]
    return np.where(ok, idx, -1)


def next_true(mask: np.ndarray) -> np.ndarray:
    """For each position, the first index >= it where mask is true (len(mask) if none)."""
    n = len(mask)
    idx = np.where(mask, np.arange(n), n)
    return np.minimum.accumulate(idx[::-1])[::-1] if n else idx


def prev_true(mask: np.ndarray) -> np.ndarray:
    """For each position, the last index <= it where mask is true (-1 if none)."""
    n = len(mask)
    idx = np.where(mask, np.arange(n), -1)
    return np.maximum.accumulate(idx) if n else idx


def month_index(day: np.ndarray) -> np.ndarray:
    """Months since 1970-01 for day numbers."""
    return day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def month_end_day(month: np.ndarray) -> np.ndarray:
    """Day number of the last day of each month index."""
    return (np.asarray(month).astype("datetime64[M]") + np.timedelta64(1, "M")).astype("datetime64[D]").astype(np.int64) - 1


def month_label(month: np.ndarray) -> np.ndarray:
    return np.asarray(month).astype("datetime64[M]").astype(str)
