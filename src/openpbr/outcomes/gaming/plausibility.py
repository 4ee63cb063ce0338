"""Implausible outcomes: more reliable improvement than the unit's case mix predicts.

Indirect standardisation: each paired episode gets the reliable-improvement
rate of its stratum (baseline HoNOS total band x severe subgroup) in all
other units; expected = the sum of those rates. z = (observed - expected) /
sqrt(sum p(1-p)), the funnel-plot statistic. Only the high side is a gaming
flag; low values are reported (negative z) but not flagged here.
"""

from __future__ import annotations

import numpy as np

from openpbr.outcomes.config import Settings
from openpbr.outcomes.gaming.context import Context
from openpbr.outcomes.gaming.findings import Finding, pct
from openpbr.outcomes.inputs import column, days


def funnel_data(ctx: Context, unit_type: str, thresholds: Settings) -> dict[str, np.ndarray]:
    t = thresholds["implausible_improvement"]
    labels, per_ep = ctx.units[unit_type]
    pt = ctx.pairs.table
    ep_ids = column(ctx.inputs.episodes, "episode_id")
    order = np.argsort(ep_ids, kind="stable")
    row = order[np.searchsorted(ep_ids[order], column(pt, "episode_id"))]
    paired = column(pt, "paired").astype(bool)
    latest = days(pt.column("latest_on"), fill=0)
    keep = paired & (latest >= ctx.start_day) & (latest <= ctx.end_day)
    unit = per_ep[row][keep]
    first = column(pt, "first_total", np.nan).astype(float)[keep]
    severe = column(pt, "severe").astype(bool)[keep]
    event = column(pt, "reliable_improvement").astype(bool)[keep]
    band = np.digitize(first, np.asarray(t["total_bands"], float)[1:-1])
    stratum = band * 2 + severe
    k, s = len(labels), int(stratum.max(initial=0)) + 1
    cell = unit * s + stratum
    n_us = np.bincount(cell, minlength=k * s).reshape(k, s).astype(float)
    a_us = np.bincount(cell, weights=event.astype(float), minlength=k * s).reshape(k, s)
    n_s, a_s = n_us.sum(axis=0), a_us.sum(axis=0)
    overall = a_s.sum() / max(n_s.sum(), 1)
    n_o, a_o = n_s[None, :] - n_us, a_s[None, :] - a_us
    p_o = np.where(n_o > 0, a_o / np.maximum(n_o, 1), overall)  # rate elsewhere, per unit and stratum
    expected = (n_us * p_o).sum(axis=1)
    var = (n_us * p_o * (1 - p_o)).sum(axis=1)
    observed = a_us.sum(axis=1)
    n = n_us.sum(axis=1)
    z = (observed - expected) / np.sqrt(np.maximum(var, 1e-12))
    return {"labels": labels, "n": n, "observed": observed, "expected": expected, "var": var, "z": z, "overall": overall}


def implausible_improvement(ctx: Context, unit_type: str, thresholds: Settings) -> list[Finding]:
    t = thresholds["implausible_improvement"]
    f = funnel_data(ctx, unit_type, thresholds)
    out = []
    for u, name in enumerate(f["labels"]):
        n, o, e = f["n"][u], f["observed"][u], f["expected"][u]
        numbers = {"paired": int(n), "observed_improved": int(o), "expected_improved": float(e),
                   "observed_rate": o / max(n, 1), "expected_rate": e / max(n, 1), "o_over_e": o / e if e > 0 else float("nan")}
        if n < int(t["min_pairs"]):
            out.append(Finding("implausible_improvement", unit_type, str(name), False, float("nan"), f"not assessed: fewer than {t['min_pairs']} pairs", numbers, thresholds.ref))
            continue
        z = float(f["z"][u])
        reason = (
            f"{int(o)} of {int(n)} paired episodes improved reliably ({pct(numbers['observed_rate'])}) where the case mix "
            f"predicts {e:.1f} ({pct(numbers['expected_rate'])}); O/E {numbers['o_over_e']:.2f}, z = {z:.1f} (flag if z > {t['z']})"
        )
        out.append(Finding("implausible_improvement", unit_type, str(name), z > float(t["z"]), z, reason, numbers, thresholds.ref))
    return out
