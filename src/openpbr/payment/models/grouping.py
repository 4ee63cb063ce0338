"""Turn unit-level arrays into statement lines (vectorised group-by)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa


def group_sums(keys: dict[str, np.ndarray], values: dict[str, np.ndarray]) -> list[dict]:
    """Sum ``values`` by the combination of ``keys``; rows sorted by key for stable line order."""
    if not len(next(iter(keys.values()))):
        return []
    t = pa.table({**{k: pa.array(v) for k, v in keys.items()}, **{k: pa.array(v) for k, v in values.items()}})
    g = t.group_by(list(keys)).aggregate([(v, "sum") for v in values] + [(next(iter(values)), "count")])
    first = next(iter(values))
    g = g.rename_columns(["rows" if c == f"{first}_count" else c.removesuffix("_sum") for c in g.column_names])
    rows = g.to_pylist()
    rows.sort(key=lambda r: tuple(r[k] for k in keys))
    return rows
