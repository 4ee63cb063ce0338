"""Turn unit-level arrays into statement lines (vectorised group-by)."""

from __future__ import annotations

from typing import Any

import numpy as np


def group_sums(keys: dict[str, np.ndarray], values: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """Sum ``values`` by the combination of ``keys``; rows sorted by key for stable line order.

    NumPy only: this runs once per contract and model, so a per-call query-engine
    set-up would cost more than the sums. Integer values are summed exactly.
    """
    names = list(keys)
    n = len(keys[names[0]])
    if not n:
        return []
    uniques: list[np.ndarray] = []
    combined = np.zeros(n, dtype=np.int64)
    for name in names:  # lexicographic combined code: sorting it sorts by the key tuple
        u, inv = np.unique(np.asarray(keys[name]), return_inverse=True)
        uniques.append(u)
        combined = combined * len(u) + inv.ravel()
    groups, first, counts = np.unique(combined, return_index=True, return_counts=True)
    order = np.argsort(combined, kind="stable")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sums = {v: np.add.reduceat(np.asarray(values[v])[order], starts) for v in values}
    rows: list[dict[str, Any]] = []
    for g in range(len(groups)):
        row = {name: np.asarray(keys[name])[first[g]].item() for name in names}
        row.update({v: sums[v][g].item() for v in values})
        row["rows"] = int(counts[g])
        rows.append(row)
    return rows
