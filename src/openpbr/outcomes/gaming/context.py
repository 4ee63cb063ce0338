"""Rows the detectors share: allocations with their ratings and prices, episodes with need."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from openpbr.clustering.ratings import ITEM_CODES
from openpbr.outcomes.config import Settings
from openpbr.outcomes.honos import ratings_matrix
from openpbr.outcomes.inputs import OutcomeInputs, column, days
from openpbr.outcomes.keys import day_key, last_at_or_before
from openpbr.outcomes.pairing import PairedOutcomes, pair_outcomes


@dataclass
class Allocations:
    ep_index: np.ndarray
    day: np.ndarray
    end: np.ndarray  # day number, OPEN sentinel if open
    cluster: np.ndarray  # "00".."21"
    ratings: np.ndarray  # rows x 18 (the MHCT rating behind the allocation; 9 when none found)
    price: np.ndarray
    poor_fit: np.ndarray
    fit_known: np.ndarray


@dataclass
class Context:
    inputs: OutcomeInputs
    start_day: int
    end_day: int
    units: dict[str, tuple[np.ndarray, np.ndarray]]  # unit type -> (labels, code per episode)
    alloc: Allocations
    pairs: PairedOutcomes
    baseline_total: np.ndarray  # per episode row (NaN = none computable)
    high_need: np.ndarray
    need_cut: float
    accepted: np.ndarray
    referred: np.ndarray
    discharged: np.ndarray


def _episode_rows(inputs: OutcomeInputs, ep_ids: np.ndarray) -> np.ndarray:
    all_ids = column(inputs.episodes, "episode_id")
    order = np.argsort(all_ids, kind="stable")
    pos = np.minimum(np.searchsorted(all_ids[order], ep_ids), max(len(order) - 1, 0))
    ok = all_ids[order][pos] == ep_ids if len(order) else np.zeros(len(ep_ids), bool)
    return np.where(ok, order[pos], -1)


def build_context(inputs: OutcomeInputs, start: date, end: date, rules: Settings, prices: Settings, thresholds: Settings) -> Context:
    s_day = int(np.datetime64(start, "D").astype(np.int64))
    e_day = int(np.datetime64(end, "D").astype(np.int64))
    ep = inputs.episodes
    units = {}
    for u in ("provider", "team", "commissioner"):
        labels, codes = np.unique(column(ep, u, "").astype(str), return_inverse=True)
        units[u] = (labels, codes.astype(np.int64))

    # allocations in the window and the rating behind each
    p = inputs.cluster_periods
    p_day = days(p.column("start"))
    in_window = (p_day >= s_day) & (p_day <= e_day)
    p_ep = _episode_rows(inputs, column(p, "episode_id"))
    keep = in_window & (p_ep >= 0)
    a = inputs.assessments
    a_ep = _episode_rows(inputs, column(a, "episode_id"))
    a_day = days(a.column("assessed_on"))
    a_rat = ratings_matrix(a, ITEM_CODES)
    row = np.full(p.num_rows, -1, np.int64)
    if "assessment_id" in p.column_names:
        ids = column(a, "assessment_id")
        o = np.argsort(ids, kind="stable")
        want = column(p, "assessment_id", -1)
        pos = np.minimum(np.searchsorted(ids[o], want), max(len(o) - 1, 0))
        hit = (ids[o][pos] == want) if len(o) else np.zeros(len(want), bool)
        row = np.where(hit, o[pos], -1)
    # no linked rating: the latest rating in the episode on or before the allocation
    o = np.lexsort((a_day, a_ep))
    k = day_key(a_ep[o] + 1, a_day[o])
    j = last_at_or_before(k, p_ep + 1, a_ep[o] + 1, day_key(p_ep + 1, p_day))
    row = np.where(row >= 0, row, np.where(j >= 0, o[np.maximum(j, 0)] if len(o) else -1, -1))
    ratings = np.where((row >= 0)[:, None], a_rat[np.maximum(row, 0)] if len(a_rat) else 9, 9).astype(np.int8)
    cluster = column(p, "cluster").astype(str)
    price_map = {k_: float(prices[k_]) for k_ in prices.keys()}
    price = np.array([price_map.get(c, np.nan) for c in np.unique(cluster)])[np.unique(cluster, return_inverse=True)[1]] if len(cluster) else np.zeros(0)
    g = thresholds["poor_fit_pricey"]
    breach = column(p, "red_rule_breach", False).astype(bool) if "red_rule_breach" in p.column_names else np.zeros(p.num_rows, bool)
    fit_col = column(p, "fit", np.nan).astype(float) if "fit" in p.column_names else np.full(p.num_rows, np.nan)
    poor = breach | (np.nan_to_num(fit_col, nan=1.0) < float(g["min_fit"]))
    fit_known = ("red_rule_breach" in p.column_names) or ("fit" in p.column_names)
    keep &= ~np.isnan(price)  # clusters without a price (09) cannot be ranked
    alloc = Allocations(
        ep_index=p_ep[keep], day=p_day[keep], end=days(p.column("end"))[keep], cluster=cluster[keep],
        ratings=ratings[keep], price=price[keep], poor_fit=poor[keep], fit_known=np.full(int(keep.sum()), fit_known),
    )

    pairs = pair_outcomes(inputs, rules, basis="episode")
    pt = pairs.table
    prow = _episode_rows(inputs, column(pt, "episode_id"))
    baseline = np.full(ep.num_rows, np.nan)
    baseline[prow] = column(pt, "baseline_total", np.nan).astype(float)
    known = ~np.isnan(baseline)
    q = float(thresholds["need_definition"]["quantile"])
    cut = float(np.quantile(baseline[known], q)) if known.any() else np.inf
    accepted = column(ep, "accepted", True).astype(bool) if "accepted" in ep.column_names else np.ones(ep.num_rows, bool)
    return Context(
        inputs=inputs, start_day=s_day, end_day=e_day, units=units, alloc=alloc, pairs=pairs,
        baseline_total=baseline, high_need=known & (baseline >= cut), need_cut=cut, accepted=accepted,
        referred=days(ep.column("referred_on")), discharged=days(ep.column("discharged_on")),
    )
