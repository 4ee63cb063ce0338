"""Paired HoNOS outcomes: first and latest rating per episode or cluster period.

Rules (thresholds come from the ``outcomes.rules`` dataset):

- A pair is the first and the latest assessment with a computable total inside
  the episode (basis ``episode``) or inside one cluster period, ends included
  (basis ``cluster_period``). Ties on a date are broken by assessment_id.
- Every episode or period gets a row, paired or not. ``status`` says which:
  ``paired``, ``no_assessment``, ``single_assessment``, ``not_computable``
  (two or more ratings but fewer than two computable totals) or ``same_day``
  (the only computable totals share a date). Unpaired rows are never dropped.
- improvement = first_total - latest_total (positive is better).
- Reliable improvement: improvement >= RCI (8, or 7 in the severe subgroup);
  reliable deterioration: -improvement >= RCI.
- Clinically significant improvement: reliable improvement and a move from the
  clinical range (total >= cut-off 11, or 12 severe) to below it; clinically
  significant deterioration is the reverse.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from openpbr.clustering.ratings import HONOS_ITEMS
from openpbr.outcomes.config import Settings, outcome_rules
from openpbr.outcomes.honos import HIGH, TRANSITIONS, honos_total, item_band, ratings_matrix
from openpbr.outcomes.inputs import OutcomeInputs, column, days
from openpbr.outcomes.keys import day_key, next_true, prev_true

STATUSES = ("paired", "no_assessment", "single_assessment", "not_computable", "same_day")


@dataclass(frozen=True)
class PairedOutcomes:
    """One row per episode (or cluster period) plus the rating sets behind each pair."""

    table: pa.Table
    first_ratings: np.ndarray  # rows x 12 items, 9 where unpaired
    latest_ratings: np.ndarray
    rules_ref: str

    def status_counts(self) -> dict[str, int]:
        s = column(self.table, "status")
        return {k: int((s == k).sum()) for k in STATUSES}


class _Sorted:
    """Assessments sorted by (episode, date, id) with their totals."""

    def __init__(self, inputs: OutcomeInputs, ep_ids: np.ndarray, rules: Settings):
        a = inputs.assessments
        ep = column(a, "episode_id")
        self.ep_code = np.searchsorted(ep_ids, ep)
        known_ep = (self.ep_code < len(ep_ids)) & (ep_ids[np.minimum(self.ep_code, len(ep_ids) - 1)] == ep) if len(ep_ids) else np.zeros(len(ep), bool)
        day = days(a.column("assessed_on"))
        aid = column(a, "assessment_id")
        order = np.lexsort((aid, day, self.ep_code))
        order = order[known_ep[order]]  # ratings for unknown episodes cannot be attributed
        self.order = order
        self.ep_code = self.ep_code[order]
        self.day = day[order]
        self.aid = aid[order]
        self.key = day_key(self.ep_code, self.day)
        self.ratings = ratings_matrix(a, rules["total_items"])[order]
        self.total, self.known = honos_total(self.ratings, rules)
        self.computable = ~np.isnan(self.total)
        self.next_c = next_true(self.computable)
        self.prev_c = prev_true(self.computable)
        self.cum_c = np.concatenate([[0], np.cumsum(self.computable)])
        self.table = a


def _ranges(s: _Sorted, grp_code: np.ndarray, lo_day: np.ndarray, hi_day: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lo = np.searchsorted(s.key, day_key(grp_code, lo_day), side="left")
    hi = np.searchsorted(s.key, day_key(grp_code, hi_day), side="right")
    return lo, hi


def pair_outcomes(inputs: OutcomeInputs, rules: Settings | None = None, basis: str = "episode") -> PairedOutcomes:
    rules = rules or outcome_rules()
    ep = inputs.episodes
    ep_ids_raw = column(ep, "episode_id")
    ep_sort = np.argsort(ep_ids_raw, kind="stable")
    ep_ids = ep_ids_raw[ep_sort]
    s = _Sorted(inputs, ep_ids, rules)
    periods = _periods(inputs, ep_ids)

    if basis == "episode":
        grp = np.arange(len(ep_ids))
        lo, hi = _ranges(s, grp, np.zeros(len(grp), np.int64), np.full(len(grp), (1 << 32) - 1))
        out = {name: ep.column(name).take(pa.array(ep_sort)) for name in ("episode_id", "person_id", "provider", "team", "commissioner", "discharged_on")}
        # the cluster a closed episode is reported under: its last cluster period
        last_p = np.searchsorted(periods["key"], day_key(grp + 1, np.zeros(len(grp), np.int64)), side="left") - 1
        has_p = (last_p >= 0) & (periods["ep_code"][np.maximum(last_p, 0)] == grp) if len(periods["ep_code"]) else np.zeros(len(grp), bool)
        out["cluster"] = pa.array(np.where(has_p, periods["cluster"][np.maximum(last_p, 0)] if len(periods["cluster"]) else "", "none"))
    elif basis == "cluster_period":
        grp = periods["ep_code"]
        lo, hi = _ranges(s, grp, periods["start"], periods["end"])
        take = pa.array(ep_sort[grp])
        out = {"period_id": pa.array(periods["period_id"]), "cluster": pa.array(periods["cluster"])}
        for name in ("episode_id", "person_id", "provider", "team", "commissioner", "discharged_on"):
            out[name] = ep.column(name).take(take)
    else:
        raise ValueError(f"basis must be 'episode' or 'cluster_period', not {basis!r}")

    n = len(lo)
    n_ass = hi - lo
    n_comp = s.cum_c[hi] - s.cum_c[lo]
    N = len(s.day)
    first = np.where(lo < N, s.next_c[np.minimum(lo, max(N - 1, 0))] if N else N, N)
    latest = np.where(hi > 0, s.prev_c[np.maximum(hi - 1, 0)] if N else -1, -1)
    has_pair = (n_comp >= 2) & (first < hi) & (latest >= lo)
    fi = np.where(has_pair, first, 0)
    li = np.where(has_pair, latest, 0)
    same_day = has_pair & (s.day[fi] == s.day[li]) if N else has_pair
    paired = has_pair & ~same_day

    status = np.full(n, "not_computable", dtype=object)
    status[n_ass == 0] = "no_assessment"
    status[n_ass == 1] = "single_assessment"
    status[same_day] = "same_day"
    status[paired] = "paired"

    has_first = (n_comp >= 1) & (first < hi)
    baseline_total = np.where(has_first, s.total[np.where(has_first, first, 0)] if N else np.nan, np.nan)
    f_total = np.where(paired, s.total[fi] if N else np.nan, np.nan)
    l_total = np.where(paired, s.total[li] if N else np.nan, np.nan)
    improvement = f_total - l_total

    severe = _severe(rules, basis, grp, s, fi, paired, f_total, periods, out)
    rci = np.where(severe, rules["reliable_change"]["severe"], rules["reliable_change"]["all"]).astype(np.float64)
    cut = np.where(severe, rules["clinical_cutoff"]["severe"], rules["clinical_cutoff"]["all"]).astype(np.float64)
    with np.errstate(invalid="ignore"):
        rel_imp = paired & (improvement >= rci)
        rel_det = paired & (-improvement >= rci)
        clin_base = paired & (f_total >= cut)
        clin_latest = paired & (l_total >= cut)
    out.update(
        status=pa.array(status.astype(str)),
        n_assessments=pa.array(n_ass),
        n_computable=pa.array(n_comp),
        paired=pa.array(paired),
        first_assessment_id=pa.array(s.aid[fi] if N else np.zeros(n, np.int64), mask=~paired),
        latest_assessment_id=pa.array(s.aid[li] if N else np.zeros(n, np.int64), mask=~paired),
        first_on=pa.array((s.day[fi] if N else np.zeros(n, np.int64)).astype("datetime64[D]"), mask=~paired),
        latest_on=pa.array((s.day[li] if N else np.zeros(n, np.int64)).astype("datetime64[D]"), mask=~paired),
        baseline_total=pa.array(baseline_total, mask=~has_first),
        first_total=pa.array(f_total, mask=~paired),
        latest_total=pa.array(l_total, mask=~paired),
        improvement=pa.array(improvement, mask=~paired),
        severe=pa.array(severe),
        reliable_improvement=pa.array(rel_imp),
        reliable_deterioration=pa.array(rel_det),
        clinical_at_baseline=pa.array(clin_base),
        clinically_significant_improvement=pa.array(rel_imp & clin_base & ~clin_latest),
        clinically_significant_deterioration=pa.array(rel_det & ~clin_base & clin_latest),
    )
    _add_proms(out, inputs, rules, s, lo, hi)

    fr = np.where(paired[:, None], s.ratings[fi] if N else 9, 9).astype(np.int8)
    lr = np.where(paired[:, None], s.ratings[li] if N else 9, 9).astype(np.int8)
    return PairedOutcomes(pa.table(out), fr, lr, rules.ref)


def _periods(inputs: OutcomeInputs, ep_ids: np.ndarray) -> dict[str, np.ndarray]:
    p = inputs.cluster_periods
    ep = column(p, "episode_id")
    code = np.searchsorted(ep_ids, ep)
    ok = (code < len(ep_ids)) & (ep_ids[np.minimum(code, max(len(ep_ids) - 1, 0))] == ep) if len(ep_ids) else np.zeros(len(ep), bool)
    start = days(p.column("start"))
    end = days(p.column("end"))
    pid = column(p, "period_id")
    order = np.lexsort((pid, start, code))
    order = order[ok[order]]
    return {
        "ep_code": code[order],
        "start": start[order],
        "end": end[order],
        "cluster": column(p, "cluster").astype(str)[order],
        "period_id": pid[order],
        "key": day_key(code[order], start[order]),
        "order": order,
    }


def _severe(rules, basis, grp, s, fi, paired, f_total, periods, out) -> np.ndarray:
    rule = rules["severe_subgroup"]
    if rule["by"] == "baseline_total_at_least":
        return paired & (np.nan_to_num(f_total, nan=-1) >= float(rule["value"]))
    if rule["by"] != "baseline_cluster":
        raise ValueError(f"unknown severe_subgroup rule {rule['by']!r}")
    clusters = set(rule["clusters"])
    if basis == "cluster_period":
        base = np.asarray(periods["cluster"])
    else:
        # cluster of the period in force on the first paired assessment (else the episode's first period)
        if len(periods["key"]) == 0 or len(s.day) == 0:
            return np.zeros(len(grp), bool)
        q = day_key(grp, s.day[fi])
        idx = np.searchsorted(periods["key"], q, side="right") - 1
        ok = (idx >= 0) & (periods["ep_code"][np.maximum(idx, 0)] == grp)
        first_idx = np.searchsorted(periods["key"], day_key(grp, np.zeros(len(grp), np.int64)), side="left")
        first_ok = (first_idx < len(periods["key"])) & (periods["ep_code"][np.minimum(first_idx, len(periods["key"]) - 1)] == grp)
        idx = np.where(ok, idx, np.where(first_ok, first_idx, -1))
        base = np.where(idx >= 0, periods["cluster"][np.maximum(idx, 0)], "")
    return paired & np.isin(base, list(clusters))


def _add_proms(out: dict, inputs: OutcomeInputs, rules: Settings, s: _Sorted, lo: np.ndarray, hi: np.ndarray) -> None:
    """First and latest recorded value of each patient-reported measure present in the extract."""
    for name, spec in (rules.get("proms") or {}).items():
        if name not in s.table.column_names:
            continue
        vals = column(s.table, name).astype(np.float64)[s.order] if len(s.order) else np.zeros(0)
        vals = np.where((vals >= spec["min"]) & (vals <= spec["max"]), vals, np.nan)  # out-of-range reads as not done
        has = ~np.isnan(vals)
        N = len(vals)
        nxt, prv = next_true(has), prev_true(has)
        first = np.where(lo < N, nxt[np.minimum(lo, max(N - 1, 0))] if N else N, N)
        latest = np.where(hi > 0, prv[np.maximum(hi - 1, 0)] if N else -1, -1)
        ok = (first < hi) & (latest >= lo) & (first < latest)
        if N:
            ok &= s.day[np.where(ok, first, 0)] < s.day[np.where(ok, latest, 0)]
        f = np.where(ok, vals[np.where(ok, first, 0)] if N else np.nan, np.nan)
        l = np.where(ok, vals[np.where(ok, latest, 0)] if N else np.nan, np.nan)
        imp = (l - f) if spec["higher_is_better"] else (f - l)
        with np.errstate(invalid="ignore"):
            out[f"{name}_paired"] = pa.array(ok)
            out[f"{name}_improvement"] = pa.array(imp, mask=~ok)
            out[f"{name}_reliable_improvement"] = pa.array(ok & (imp >= spec["reliable_change"]))
            out[f"{name}_reliable_deterioration"] = pa.array(ok & (-imp >= spec["reliable_change"]))


def item_transitions(pairs: PairedOutcomes, rules: Settings | None = None, by: str | None = None) -> pa.Table:
    """Counts of LL/LH/HL/HH per HoNOS item over paired rows (items with a 9 at either end count as 'unknown')."""
    rules = rules or outcome_rules()
    paired = column(pairs.table, "paired")
    fb = item_band(pairs.first_ratings[paired], rules)
    lb = item_band(pairs.latest_ratings[paired], rules)
    groups = column(pairs.table, by).astype(str)[paired] if by else np.full(int(paired.sum()), "all")
    rows = {"group": [], "item": [], "transition": [], "count": []}
    uniq, inv = np.unique(groups, return_inverse=True) if len(groups) else (np.array([], str), np.array([], int))
    for j, item in enumerate(HONOS_ITEMS[: fb.shape[1]]):
        code = np.where((fb[:, j] > HIGH) | (lb[:, j] > HIGH), 4, fb[:, j] * 2 + lb[:, j])
        counts = np.bincount(inv * 5 + code, minlength=len(uniq) * 5).reshape(len(uniq), 5) if len(uniq) else np.zeros((0, 5), int)
        for g_i, g in enumerate(uniq):
            for c, name in enumerate((*TRANSITIONS, "unknown")):
                rows["group"].append(g)
                rows["item"].append(item)
                rows["transition"].append(name)
                rows["count"].append(int(counts[g_i, c]))
    return pa.table(rows)
