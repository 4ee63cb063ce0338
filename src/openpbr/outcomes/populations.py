"""The row sets indicators count, built once per computation.

caseload         one row per accepted episode open at a month end (a person
                 discharged mid-month is not on that month's caseload)
allocations      one row per cluster period, in the month it started
closed_episodes  one row per accepted episode discharged in the month, with
                 its first/latest HoNOS pair (see pairing.py)

Each row keeps the index of its episode (for provider / team / commissioner)
and its cluster (-1 = not clustered), so group-bys are integer bincounts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from openpbr.clustering.review import add_months, review_due_array
from openpbr.outcomes.config import Settings
from openpbr.outcomes.inputs import OutcomeInputs, column, days
from openpbr.outcomes.keys import day_key, last_at_or_before, month_end_day, month_index
from openpbr.outcomes.pairing import PairedOutcomes, pair_outcomes

CLUSTER_LABELS = np.array([f"{n:02d}" for n in range(22)] + ["none"])
NONE_CLUSTER = 22


@dataclass
class Population:
    name: str
    month: np.ndarray  # months since 1970-01
    ep_index: np.ndarray  # row in OutcomeInputs.episodes
    cluster: np.ndarray  # 0..21, 22 = none
    flags: dict[str, np.ndarray] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.month)


def cluster_code_array(labels: np.ndarray) -> np.ndarray:
    out = np.full(len(labels), NONE_CLUSTER, dtype=np.int16)
    digits = np.char.isdigit(labels.astype(str)) if len(labels) else np.zeros(0, bool)
    out[digits] = labels[digits].astype(np.int16)
    return out


@dataclass
class Populations:
    caseload: Population
    allocations: Population
    closed_episodes: Population
    pairs: PairedOutcomes
    month_from: int
    month_to: int

    def get(self, name: str) -> Population:
        return getattr(self, name)


def build_populations(inputs: OutcomeInputs, rules: Settings, start: date, end: date) -> Populations:
    m_from = int(np.datetime64(start, "M").astype(np.int64))
    m_to = int(np.datetime64(end, "M").astype(np.int64))
    ep = inputs.episodes
    accepted = column(ep, "accepted", True).astype(bool) if "accepted" in ep.column_names else np.ones(ep.num_rows, bool)
    ref = days(ep.column("referred_on"))
    dis = days(ep.column("discharged_on"))
    pairs = pair_outcomes(inputs, rules, basis="episode")
    return Populations(
        caseload=_caseload(inputs, accepted, ref, dis, m_from, m_to),
        allocations=_allocations(inputs, accepted, m_from, m_to),
        closed_episodes=_closed(inputs, pairs, accepted, m_from, m_to),
        pairs=pairs,
        month_from=m_from,
        month_to=m_to,
    )


def _episode_lookup(inputs: OutcomeInputs, ep_ids: np.ndarray) -> np.ndarray:
    """Row index in the episodes table for each episode id (-1 if unknown)."""
    all_ids = column(inputs.episodes, "episode_id")
    order = np.argsort(all_ids, kind="stable")
    pos = np.searchsorted(all_ids[order], ep_ids)
    pos_c = np.minimum(pos, max(len(order) - 1, 0))
    ok = (pos < len(order)) & (all_ids[order][pos_c] == ep_ids) if len(order) else np.zeros(len(ep_ids), bool)
    return np.where(ok, order[pos_c] if len(order) else 0, -1)


def _caseload(inputs, accepted, ref, dis, m_from, m_to) -> Population:
    first = np.maximum(month_index(ref), m_from)
    last = np.minimum(np.where(dis >= np.iinfo(np.int32).max, m_to, month_index(np.minimum(dis, 10**6)) - 1), m_to)
    n = np.where(accepted, np.maximum(last - first + 1, 0), 0)
    ep_index = np.repeat(np.arange(len(n)), n)
    offs = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    month = np.repeat(first, n) + offs
    me = month_end_day(month)

    # the cluster period open at month end
    p = inputs.cluster_periods
    p_ep = _episode_lookup(inputs, column(p, "episode_id"))
    p_start, p_end = days(p.column("start")), days(p.column("end"))
    p_cluster = cluster_code_array(column(p, "cluster").astype(str))
    order = np.lexsort((column(p, "period_id"), p_start, p_ep))
    keys = day_key(p_ep[order] + 1, p_start[order])  # +1 keeps unknown episodes (-1) sortable
    idx = last_at_or_before(keys, ep_index + 1, p_ep[order] + 1, day_key(ep_index + 1, me))
    pi = order[np.maximum(idx, 0)] if len(order) else np.zeros(len(idx), np.int64)
    open_at_end = (idx >= 0) & (p_end[pi] > me) if len(order) else np.zeros(len(idx), bool)
    cluster = np.where(open_at_end, p_cluster[pi] if len(order) else NONE_CLUSTER, NONE_CLUSTER).astype(np.int16)
    clustered = open_at_end

    # review base: latest MHCT assessment in the episode on or before month end (else the period start)
    a = inputs.assessments
    a_ep = _episode_lookup(inputs, column(a, "episode_id"))
    a_day = days(a.column("assessed_on"))
    a_order = np.lexsort((a_day, a_ep))
    a_keys = day_key(a_ep[a_order] + 1, a_day[a_order])
    ai = last_at_or_before(a_keys, ep_index + 1, a_ep[a_order] + 1, day_key(ep_index + 1, me))
    last_ass = np.where(ai >= 0, a_day[a_order][np.maximum(ai, 0)] if len(a_order) else 0, -1)
    base = np.where(clustered, np.maximum(last_ass, p_start[pi] if len(order) else 0), 0)
    due = review_due_array(base.astype("datetime64[D]"), CLUSTER_LABELS[cluster])
    due_day = np.where(np.isnat(due), np.iinfo(np.int64).min, due.astype(np.int64))
    within = clustered & (due_day > me)

    # accommodation: latest record for the person within the 12 months to month end
    person = column(inputs.episodes, "person_id")[ep_index]
    acc = inputs.accommodation
    if acc.num_rows:
        ac_p, ac_day = column(acc, "person_id"), days(acc.column("recorded_on"))
        ac_settled = column(acc, "settled", False).astype(bool)
        uniq, ac_code = np.unique(ac_p, return_inverse=True)
        pc_ = np.searchsorted(uniq, person)
        known_p = (pc_ < len(uniq)) & (uniq[np.minimum(pc_, len(uniq) - 1)] == person)
        pc_ = np.where(known_p, pc_, len(uniq))
        o = np.lexsort((ac_day, ac_code))
        k = day_key(ac_code[o], ac_day[o])
        j = last_at_or_before(k, pc_, ac_code[o], day_key(pc_, me))
        twelve_back = add_months(me.astype("datetime64[D]"), np.full(len(me), -12)).astype(np.int64)
        recorded = (j >= 0) & (ac_day[o][np.maximum(j, 0)] > twelve_back)
        settled = recorded & ac_settled[o][np.maximum(j, 0)]
    else:
        recorded = settled = np.zeros(len(month), bool)

    flags = {
        "clustered": clustered,
        "unclustered": ~clustered,
        "cluster00": cluster == 0,
        "within_review": within,
        "review_overdue": clustered & ~within,
        "accommodation_recorded": recorded,
        "settled": settled,
    }
    return Population("caseload", month, ep_index, cluster, flags)


def _allocations(inputs, accepted, m_from, m_to) -> Population:
    p = inputs.cluster_periods
    ep_index = _episode_lookup(inputs, column(p, "episode_id"))
    month = month_index(days(p.column("start")))
    keep = (ep_index >= 0) & (month >= m_from) & (month <= m_to)
    keep[keep] = accepted[ep_index[keep]]
    if "red_rule_breach" in p.column_names:
        raw = p.column("red_rule_breach").combine_chunks()
        checked = raw.is_valid().to_numpy(zero_copy_only=False)
        breach = raw.fill_null(False).to_numpy(zero_copy_only=False).astype(bool)
    else:
        checked = breach = np.zeros(p.num_rows, bool)
    cluster = cluster_code_array(column(p, "cluster").astype(str))
    return Population(
        "allocations", month[keep], ep_index[keep], cluster[keep],
        {"breach_checked": checked[keep], "red_rule_breach": breach[keep]},
    )


def _closed(inputs, pairs: PairedOutcomes, accepted, m_from, m_to) -> Population:
    t = pairs.table
    ep_index = _episode_lookup(inputs, column(t, "episode_id"))
    dis = days(t.column("discharged_on"))
    closed = dis < np.iinfo(np.int32).max
    month = month_index(np.where(closed, dis, 0))
    keep = closed & (month >= m_from) & (month <= m_to) & accepted[ep_index]
    names = ("paired", "reliable_improvement", "reliable_deterioration", "clinical_at_baseline",
             "clinically_significant_improvement", "clinically_significant_deterioration", "severe")
    flags = {k: column(t, k).astype(bool)[keep] for k in names}
    for k in t.column_names:  # patient-reported measure flags, when present
        if k.endswith(("_paired", "_reliable_improvement", "_reliable_deterioration")) and k not in flags:
            flags[k] = column(t, k).astype(bool)[keep]
    status = column(t, "status").astype(str)[keep]
    for s in ("no_assessment", "single_assessment", "not_computable", "same_day"):
        flags[s] = status == s
    return Population("closed_episodes", month[keep], ep_index[keep], cluster_code_array(column(t, "cluster").astype(str))[keep], flags)
