"""HoNOS totals and item bands, vectorised over many rating sets.

9 means "not known". It never counts as a rating: by default (the
``not_known_handling`` rule) 9s are excluded from the total and a total needs
at least ``min_known_items`` known items among items 1-12, otherwise it is
"not computable" (NaN here) and counted as such by the callers.
"""

from __future__ import annotations

import numpy as np

from openpbr.clustering.ratings import NOT_KNOWN
from openpbr.outcomes.config import Settings

LOW, HIGH, UNKNOWN = 0, 1, 2
TRANSITIONS = ("LL", "LH", "HL", "HH")


def ratings_matrix(table, items) -> np.ndarray:
    """(rows x items) int8 matrix from a table's item columns; nulls read as 9."""
    cols = []
    for c in items:
        a = table.column(c).combine_chunks()
        cols.append(a.fill_null(NOT_KNOWN).to_numpy(zero_copy_only=False).astype(np.int8))
    return np.stack(cols, axis=1) if cols else np.zeros((table.num_rows, 0), np.int8)


def honos_total(ratings: np.ndarray, rules: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Total of the known ratings per row and the number of known items.

    Returns (total float64 with NaN where not computable, known int).
    """
    known_mask = ratings != NOT_KNOWN
    known = known_mask.sum(axis=1)
    raw = np.where(known_mask, ratings, 0).sum(axis=1).astype(np.float64)
    rule = rules["not_known_handling"]
    n_items = ratings.shape[1]
    if rule["method"] == "prorate":
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = raw * n_items / known
    elif rule["method"] != "exclude":
        raise ValueError(f"unknown not_known_handling method {rule['method']!r}")
    total = np.where(known >= int(rule["min_known_items"]), raw, np.nan)
    return total, known


def item_band(ratings: np.ndarray, rules: Settings) -> np.ndarray:
    """LOW (0-2), HIGH (3-4) or UNKNOWN (9) per rating."""
    bands = rules["item_bands"]
    out = np.full(ratings.shape, UNKNOWN, dtype=np.int8)
    out[np.isin(ratings, bands["low"])] = LOW
    out[np.isin(ratings, bands["high"])] = HIGH
    return out
