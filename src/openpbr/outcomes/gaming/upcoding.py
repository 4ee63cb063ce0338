"""Upcoding: chosen clusters drift to higher prices without matching change in ratings.

Expected price: an ordinary least-squares model of (illustrative) cluster
price on the MHCT rating profile (one indicator per item and rating 1-4 or 9),
fitted on every other unit (leave-one-unit-out), so a unit cannot hide its own
drift in the model. The price gap is chosen price minus expected price; the
drift is the change in mean gap between a baseline and a recent window.
"""

from __future__ import annotations

import numpy as np

from openpbr.outcomes.config import Settings
from openpbr.outcomes.gaming.context import Context
from openpbr.outcomes.gaming.findings import Finding, money, pct
from openpbr.outcomes.gaming.stats import two_proportion_z

LEVELS = (1, 2, 3, 4, 9)
CHUNK = 50_000


def _design(ratings: np.ndarray) -> np.ndarray:
    cols = [np.ones(len(ratings), np.float64)]
    for j in range(ratings.shape[1]):
        for lv in LEVELS:
            cols.append((ratings[:, j] == lv).astype(np.float64))
    return np.stack(cols, axis=1)


def expected_price(ratings: np.ndarray, price: np.ndarray, unit: np.ndarray, n_units: int, ridge: float = 1e-3) -> np.ndarray:
    """Leave-one-unit-out fitted price for every allocation."""
    p = 1 + ratings.shape[1] * len(LEVELS)
    xtx = np.zeros((n_units, p, p))
    xty = np.zeros((n_units, p))
    order = np.argsort(unit, kind="stable")
    bounds = np.searchsorted(unit[order], np.arange(n_units + 1))
    for u in range(n_units):
        rows = order[bounds[u]:bounds[u + 1]]
        for c in range(0, len(rows), CHUNK):
            x = _design(ratings[rows[c:c + CHUNK]])
            xtx[u] += x.T @ x
            xty[u] += x.T @ price[rows[c:c + CHUNK]]
    tot_xtx, tot_xty = xtx.sum(axis=0), xty.sum(axis=0)
    out = np.empty(len(price))
    for u in range(n_units):
        rows = order[bounds[u]:bounds[u + 1]]
        if len(rows) == 0:
            continue
        beta = np.linalg.solve(tot_xtx - xtx[u] + ridge * np.eye(p), tot_xty - xty[u])
        for c in range(0, len(rows), CHUNK):
            out[rows[c:c + CHUNK]] = _design(ratings[rows[c:c + CHUNK]]) @ beta
    return out


def upcoding_drift(ctx: Context, unit_type: str, thresholds: Settings) -> list[Finding]:
    t = thresholds["upcoding_drift"]
    labels, per_ep = ctx.units[unit_type]
    al = ctx.alloc
    unit = per_ep[al.ep_index]
    exp = expected_price(al.ratings, al.price, unit, len(labels))
    gap = al.price - exp
    end_m = np.datetime64(ctx.end_day, "D").astype("datetime64[M]")
    recent_from = (end_m - np.timedelta64(int(t["recent_months"]) - 1, "M")).astype("datetime64[D]").astype(np.int64)
    base_to = (np.datetime64(ctx.start_day, "D").astype("datetime64[M]") + np.timedelta64(int(t["baseline_months"]), "M")).astype("datetime64[D]").astype(np.int64)
    base = al.day < base_to
    recent = al.day >= recent_from
    scale = float(np.mean(al.price)) if len(al.price) else 1.0
    out = []
    for u, name in enumerate(labels):
        b, r = (unit == u) & base, (unit == u) & recent
        nb, nr = int(b.sum()), int(r.sum())
        numbers = {"baseline_allocations": nb, "recent_allocations": nr}
        if min(nb, nr) < int(t["min_allocations"]):
            out.append(Finding("upcoding_drift", unit_type, str(name), False, float("nan"),
                               f"not assessed: fewer than {t['min_allocations']} allocations in a window", numbers, thresholds.ref))
            continue
        drift = gap[r].mean() - gap[b].mean()
        se = np.sqrt(gap[r].var(ddof=1) / nr + gap[b].var(ddof=1) / nb)
        z = float(drift / se) if se > 0 else 0.0
        rel = drift / scale
        numbers.update(
            chosen_price_baseline=al.price[b].mean(), chosen_price_recent=al.price[r].mean(),
            expected_price_baseline=exp[b].mean(), expected_price_recent=exp[r].mean(),
            drift_per_allocation=drift, relative_drift=rel,
        )
        flagged = z > float(t["z"]) and rel > float(t["min_relative_drift"])
        reason = (
            f"mean chosen-cluster price {money(numbers['chosen_price_baseline'])} -> {money(numbers['chosen_price_recent'])} "
            f"while the ratings-expected price went {money(numbers['expected_price_baseline'])} -> {money(numbers['expected_price_recent'])}; "
            f"unexplained drift {money(drift)} per allocation ({pct(rel)} of mean price), z = {z:.1f} "
            f"(flag if z > {t['z']} and drift > {pct(float(t['min_relative_drift']))}); n = {nb} baseline / {nr} recent"
        )
        out.append(Finding("upcoding_drift", unit_type, str(name), flagged, z, reason, numbers, thresholds.ref))
    return out


def poor_fit_in_pricey(ctx: Context, unit_type: str, thresholds: Settings, prices: Settings) -> list[Finding]:
    t = thresholds["poor_fit_pricey"]
    labels, per_ep = ctx.units[unit_type]
    al = ctx.alloc
    if not al.fit_known.any():
        return [Finding("poor_fit_pricey", unit_type, str(n), False, float("nan"), "not assessed: no red-rule or fit data", {}, thresholds.ref) for n in labels]
    cut = float(np.quantile([float(prices[k]) for k in prices.keys()], float(t["price_quantile"])))
    event = al.poor_fit & (al.price >= cut)
    unit = per_ep[al.ep_index]
    n = np.bincount(unit, minlength=len(labels)).astype(float)
    a = np.bincount(unit, weights=event.astype(float), minlength=len(labels))
    z = two_proportion_z(a, n, a.sum() - a, n.sum() - n)
    out = []
    for u, name in enumerate(labels):
        rate = a[u] / max(n[u], 1)
        other = (a.sum() - a[u]) / max(n.sum() - n[u], 1)
        ratio = rate / other if other > 0 else float("inf")
        numbers = {"allocations": int(n[u]), "poor_fit_pricey": int(a[u]), "rate": rate, "rate_elsewhere": other, "rate_ratio": ratio, "price_cut": cut}
        if n[u] < int(t["min_allocations"]):
            out.append(Finding("poor_fit_pricey", unit_type, str(name), False, float("nan"), f"not assessed: fewer than {t['min_allocations']} allocations", numbers, thresholds.ref))
            continue
        flagged = z[u] > float(t["z"]) and ratio >= float(t["min_rate_ratio"])
        reason = (
            f"{int(a[u])} of {int(n[u])} allocations ({pct(rate)}) breach a red rule or fit poorly yet sit in clusters priced "
            f">= {money(cut)}, against {pct(other)} elsewhere (ratio {ratio:.2f}), z = {z[u]:.1f} "
            f"(flag if z > {t['z']} and ratio >= {t['min_rate_ratio']})"
        )
        out.append(Finding("poor_fit_pricey", unit_type, str(name), flagged, float(z[u]), reason, numbers, thresholds.ref))
    return out
