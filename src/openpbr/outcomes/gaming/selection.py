"""Selection (creaming and parking): people with the greatest needs are
discharged early, left unreviewed, or turned away more often than others.

'Greatest needs' = baseline HoNOS total (first computable rating in the
episode) at or above a trust-wide quantile. Each test compares, within a
unit, the rate for high-need people with the rate for everyone else, and
sets that ratio against the same ratio in all other units (ratio of ratios),
so a unit that discharges everyone quickly is not mistaken for one that
discharges its hardest cases quickly.
"""

from __future__ import annotations

import numpy as np

from openpbr.clustering.review import review_due_array
from openpbr.outcomes.config import Settings
from openpbr.outcomes.gaming.context import Context
from openpbr.outcomes.gaming.findings import Finding, pct
from openpbr.outcomes.gaming.stats import ratio_of_rates
from openpbr.outcomes.inputs import OPEN


def _compare(detector, what, unit_type, labels, unit, eligible, event, high, t, thresholds: Settings) -> list[Finding]:
    k = len(labels)
    hi, lo = eligible & high, eligible & ~high
    n_hi = np.bincount(unit[hi], minlength=k).astype(float)
    n_lo = np.bincount(unit[lo], minlength=k).astype(float)
    a_hi = np.bincount(unit[hi & event], minlength=k).astype(float)
    a_lo = np.bincount(unit[lo & event], minlength=k).astype(float)
    rr_u, rr_o, ror, z = ratio_of_rates(a_hi, n_hi, a_lo, n_lo, a_hi.sum() - a_hi, n_hi.sum() - n_hi, a_lo.sum() - a_lo, n_lo.sum() - n_lo)
    out = []
    for u, name in enumerate(labels):
        numbers = {
            "high_need_people": int(n_hi[u]), "high_need_events": int(a_hi[u]), "other_people": int(n_lo[u]), "other_events": int(a_lo[u]),
            "high_need_rate": a_hi[u] / max(n_hi[u], 1), "other_rate": a_lo[u] / max(n_lo[u], 1),
            "ratio_in_unit": float(rr_u[u]), "ratio_elsewhere": float(rr_o[u]), "ratio_of_ratios": float(ror[u]),
        }
        if min(n_hi[u], n_lo[u]) < int(t["min_people"]):
            out.append(Finding(detector, unit_type, str(name), False, float("nan"), f"not assessed: fewer than {t['min_people']} people in a need group", numbers, thresholds.ref))
            continue
        flagged = z[u] > float(t["z"]) and ror[u] >= float(t["min_ratio_of_ratios"])
        reason = (
            f"{what}: {int(a_hi[u])} of {int(n_hi[u])} high-need people ({pct(numbers['high_need_rate'])}) vs "
            f"{int(a_lo[u])} of {int(n_lo[u])} others ({pct(numbers['other_rate'])}), ratio {rr_u[u]:.2f} against {rr_o[u]:.2f} "
            f"elsewhere (ratio of ratios {ror[u]:.2f}), z = {z[u]:.1f} (flag if z > {t['z']} and ratio of ratios >= {t['min_ratio_of_ratios']})"
        )
        out.append(Finding(detector, unit_type, str(name), flagged, float(z[u]), reason, numbers, thresholds.ref))
    return out


def early_discharge(ctx: Context, unit_type: str, thresholds: Settings) -> list[Finding]:
    t = thresholds["selection_discharge"]
    labels, unit = ctx.units[unit_type]
    d = int(t["early_days"])
    known = ~np.isnan(ctx.baseline_total)
    eligible = ctx.accepted & known & (ctx.referred >= ctx.start_day) & (ctx.referred + d <= ctx.end_day)
    event = (ctx.discharged < OPEN) & (ctx.discharged - ctx.referred < d)
    return _compare("selection_discharge", f"discharged within {d} days", unit_type, labels, unit, eligible, event, ctx.high_need, t, thresholds)


def turned_away(ctx: Context, unit_type: str, thresholds: Settings) -> list[Finding]:
    t = thresholds["selection_turned_away"]
    labels, unit = ctx.units[unit_type]
    known = ~np.isnan(ctx.baseline_total)
    eligible = known & (ctx.referred >= ctx.start_day) & (ctx.referred <= ctx.end_day)
    return _compare("selection_turned_away", "referral not accepted", unit_type, labels, unit, eligible, ~ctx.accepted, ctx.high_need, t, thresholds)


def parking(ctx: Context, unit_type: str, thresholds: Settings) -> list[Finding]:
    """Cluster periods that ran past their review date without a review (the next allocation or a discharge)."""
    t = thresholds["selection_parking"]
    labels, per_ep = ctx.units[unit_type]
    al = ctx.alloc
    due = review_due_array(al.day.astype("datetime64[D]"), al.cluster)
    due_day = np.where(np.isnat(due), OPEN, due.astype("datetime64[D]").astype(np.int64))
    assessable = due_day <= ctx.end_day  # the due date has passed, so we can tell
    stop = np.minimum(al.end, ctx.end_day)
    overdue = stop > due_day
    # one row per allocation; a person counts once per period
    ep = al.ep_index
    return _compare("selection_parking", "cluster periods left unreviewed past the review date", unit_type, labels, per_ep[ep],
                    assessable & ~np.isnan(ctx.baseline_total[ep]), overdue, ctx.high_need[ep], t, thresholds)
