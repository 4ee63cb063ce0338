"""Small statistics used by the detectors (all vectorised over units)."""

from __future__ import annotations

import numpy as np


def ratio_of_rates(a_hi, n_hi, a_lo, n_lo, b_hi, m_hi, b_lo, m_lo):
    """Compare (rate high-need / rate others) in a unit with the same ratio elsewhere.

    Returns (ratio_in_unit, ratio_elsewhere, ratio_of_ratios, z) with a 0.5
    continuity correction so empty cells do not divide by zero. z is the
    difference of log rate ratios over its delta-method standard error.
    """
    a_hi, n_hi, a_lo, n_lo, b_hi, m_hi, b_lo, m_lo = (np.asarray(x, float) + 0.5 for x in (a_hi, n_hi, a_lo, n_lo, b_hi, m_hi, b_lo, m_lo))
    rr_u = (a_hi / n_hi) / (a_lo / n_lo)
    rr_o = (b_hi / m_hi) / (b_lo / m_lo)
    var = 1 / a_hi - 1 / n_hi + 1 / a_lo - 1 / n_lo + 1 / b_hi - 1 / m_hi + 1 / b_lo - 1 / m_lo
    z = (np.log(rr_u) - np.log(rr_o)) / np.sqrt(np.maximum(var, 1e-12))
    return rr_u, rr_o, rr_u / rr_o, z


def two_proportion_z(a, n, b, m):
    """z for rate a/n in the unit against b/m elsewhere (pooled standard error)."""
    a, n, b, m = (np.asarray(x, float) for x in (a, n, b, m))
    p = (a + b) / np.maximum(n + m, 1)
    se = np.sqrt(np.maximum(p * (1 - p) * (1 / np.maximum(n, 1) + 1 / np.maximum(m, 1)), 1e-12))
    return (a / np.maximum(n, 1) - b / np.maximum(m, 1)) / se


def group_sums(code: np.ndarray, n_groups: int, *weights: np.ndarray) -> list[np.ndarray]:
    return [np.bincount(code, weights=w.astype(float), minlength=n_groups) for w in weights]
