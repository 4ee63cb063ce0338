"""A seeded synthetic trust for tests, demos and the benchmark.

Each person has one episode with one provider and team. Ratings follow
illustrative cluster profiles (not the booklet grids); an honest clinician
chooses the nearest profile within the person's super class, with a little
noise. Planted behaviours, per provider:

- upcode_rate / upcode_from: from that date, that share of allocations moves
  to the next higher-priced cluster in the same super class; ratings unchanged
  and the allocation tends to breach a red rule / fit poorly.
- cream_skim: people with the greatest needs are turned away, discharged early
  (without a discharge rating) and left unreviewed past their review date.
- inflate_improvement: follow-up ratings are marked down by this many points
  per item on average (implausible improvement).
- severity_shift: honest case-mix difference (a sicker or milder population).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from openpbr.clustering.ratings import ITEM_CODES
from openpbr.outcomes.config import cluster_prices
from openpbr.outcomes.inputs import OutcomeInputs

SUPER_CLASS = {
    "A": ["01", "02", "03", "04", "05", "06", "07", "08"],
    "B": ["10", "11", "12", "13", "14", "15", "16", "17"],
    "C": ["18", "19", "20", "21"],
}
LEVEL = {"01": 0.6, "02": 0.9, "03": 1.3, "04": 1.8, "05": 2.4, "06": 2.0, "07": 2.2, "08": 2.6,
         "10": 2.2, "11": 1.0, "12": 1.8, "13": 2.7, "14": 3.2, "15": 3.0, "16": 2.5, "17": 2.6,
         "18": 0.9, "19": 1.6, "20": 2.3, "21": 2.8}
REVIEW_DAYS = {"01": 84, "02": 105, "14": 28, "15": 28, "07": 365, "08": 365, "10": 365, "11": 365,
               "12": 365, "13": 365, "18": 365}  # others 182


@dataclass(frozen=True)
class ProviderSpec:
    code: str
    n_teams: int = 3
    share: float = 1.0
    severity_shift: float = 0.0
    upcode_rate: float = 0.0
    upcode_from: date | None = None
    cream_skim: float = 0.0
    inflate_improvement: float = 0.0


@dataclass(frozen=True)
class TrustSpec:
    providers: tuple[ProviderSpec, ...]
    n_people: int = 6000
    start: date = date(2022, 4, 1)
    end: date = date(2025, 3, 31)
    commissioners: tuple[str, ...] = ("C01", "C02", "C03")
    seed: int = 20261122
    not_known_rate: float = 0.03
    max_allocations: int = 24


def _profiles() -> tuple[list[str], np.ndarray, np.ndarray]:
    codes, rows, cls = [], [], []
    for sc, clusters in SUPER_CLASS.items():
        for c in clusters:
            w = np.full(18, 0.7 if sc == "A" else 0.6 if sc == "B" else 0.5)
            if sc == "A":
                w[[1, 6, 7, 8]] = 1.3; w[5] = 0.1; w[3] = 0.2
            elif sc == "B":
                w[[5]] = 1.4; w[[0, 9, 12]] = 1.0
            else:
                w[3] = 1.5; w[4] = 1.1; w[9] = 1.2; w[5] = 0.3
            if c == "06": w[12] = 1.6
            if c == "16": w[2] = 1.6
            if c == "15": w[6] = 1.5
            if c == "08": w[[1, 2]] = 1.4
            if c == "07": w[[9, 11]] = 1.4
            w[13:] = 0.8
            codes.append(c); rows.append(np.clip(LEVEL[c] * w, 0, 4)); cls.append(sc)
    return codes, np.array(rows), np.array(cls)


def synthetic_trust(spec: TrustSpec) -> tuple[OutcomeInputs, dict]:
    """Build the four input tables. Returns (inputs, truth) where truth names the planted providers."""
    rng = np.random.default_rng(spec.seed)
    codes, prof, prof_cls = _profiles()
    prices = cluster_prices(spec.start)
    price = np.array([float(prices[c]) for c in codes])
    n = spec.n_people
    day0 = np.datetime64(spec.start, "D").astype(np.int64)
    day_end = np.datetime64(spec.end, "D").astype(np.int64)

    shares = np.array([p.share for p in spec.providers], float)
    prov = rng.choice(len(spec.providers), n, p=shares / shares.sum())
    team = rng.integers(0, np.array([p.n_teams for p in spec.providers])[prov])
    comm = rng.integers(0, len(spec.commissioners), n)
    shift = np.array([p.severity_shift for p in spec.providers])[prov]
    skim = np.array([p.cream_skim for p in spec.providers])[prov]
    inflate = np.array([p.inflate_improvement for p in spec.providers])[prov]
    up_rate = np.array([p.upcode_rate for p in spec.providers])[prov]
    up_from = np.array([np.datetime64(p.upcode_from or date(9999, 1, 1), "D").astype(np.int64) for p in spec.providers])[prov]

    referred = day0 + rng.integers(0, day_end - day0 - 30, n)
    sc = rng.choice(np.array(["A", "B", "C"]), n, p=[0.62, 0.28, 0.10])
    z = rng.normal(shift, 1.0, n)
    # a person's underlying profile: a cluster of their class, more severe with z
    base = np.empty((n, 18))
    for s_, clusters in SUPER_CLASS.items():
        m = sc == s_
        idx = [codes.index(c) for c in clusters]
        lv = np.array([LEVEL[c] for c in clusters])
        pick = np.argmin(np.abs(lv[None, :] - (lv.mean() + z[m, None] * lv.std())), axis=1)
        base[m] = prof[np.array(idx)[pick]]
    base = base + rng.normal(0, 0.35, (n, 18))
    need = base[:, :12].sum(axis=1)
    high_need = need >= np.quantile(need, 0.75)

    accepted = rng.random(n) > (0.04 + np.where(high_need, skim * 0.5, 0))
    length = rng.exponential(420, n) + 30
    early = accepted & high_need & (rng.random(n) < skim)
    length = np.where(early, rng.uniform(14, 75, n), length)
    length = np.where(accepted, length, 0).astype(np.int64)
    discharged = referred + length
    resp = rng.normal(0.9, 0.6, n) * (1 + 0.25 * z)

    K = spec.max_allocations
    late_p = 0.06 + np.where(high_need, skim * 0.7, 0)
    # allocation times: 0, then at (jittered) review intervals while the episode lasts
    alloc_t = np.zeros((n, K))
    cluster_idx = np.zeros((n, K), np.int64)
    ratings = np.zeros((n, K, 18), np.int8)
    rev_days = np.full(n, 182.0)
    cur = rng.integers(0, 41, n).astype(float)  # clustering can wait a few weeks after referral
    alive = np.ones((n, K), bool)
    for k in range(K):
        if k > 0:
            late = rng.random(n) < late_p
            step = rev_days * np.where(late, rng.uniform(1.1, 1.7, n), rng.uniform(0.6, 0.98, n))
            cur = cur + step
        alloc_t[:, k] = cur
        alive[:, k] = accepted & (cur < length) & (referred + cur <= day_end)
        progress = 1 - np.exp(-cur / 200.0)
        cont = base - (resp * progress)[:, None] * (base / 2.0) + rng.normal(0, 0.45, (n, 18))
        if k > 0:
            cont[:, :12] -= inflate[:, None] * rng.uniform(0.5, 1.5, (n, 12))
        r = np.clip(np.rint(cont), 0, 4).astype(np.int8)
        r[rng.random((n, 18)) < spec.not_known_rate] = 9
        ratings[:, k] = r
        rc = np.where(r == 9, prof[None, :, :].mean(axis=1), r)
        # squared distance to every profile without an (n x clusters x items) temporary
        d = (rc ** 2).sum(axis=1)[:, None] - 2 * rc @ prof.T + (prof ** 2).sum(axis=1)[None, :]
        d[prof_cls[None, :] != sc[:, None]] = np.inf
        choice = np.argmin(d + rng.normal(0, 0.8, d.shape), axis=1)
        cluster_idx[:, k] = choice
        rev_days = np.array([REVIEW_DAYS.get(codes[c], 182) for c in range(len(codes))], float)[choice]

    # planted upcoding: next higher-priced cluster in the same super class
    alloc_day = referred[:, None] + alloc_t.astype(np.int64)
    honest = cluster_idx.copy()
    nxt = np.arange(len(codes))
    for s_ in SUPER_CLASS:
        members = np.where(prof_cls == s_)[0]
        order = members[np.argsort(price[members])]
        nxt[order[:-1]] = order[1:]
    upcoded = (alloc_day >= up_from[:, None]) & (rng.random((n, K)) < up_rate[:, None]) & (nxt[honest] != honest)
    chosen = np.where(upcoded, nxt[honest], honest)
    variance = rng.random((n, K)) < 0.02  # a few people no cluster fits: 00

    pair_d = ((prof[:, None, :] - prof[None, :, :]) ** 2).sum(axis=2)  # profile-to-profile distances
    d_best = pair_d[honest, chosen]
    fit = np.clip(0.9 - 0.12 * d_best + rng.normal(0, 0.05, d_best.shape), 0, 1)
    breach = np.where(upcoded, rng.random((n, K)) < 0.6, rng.random((n, K)) < 0.03)

    # rows
    pi, ki = np.nonzero(alive)
    n_alloc = alive.sum(axis=1)
    ep_id = np.arange(1, n + 1, dtype=np.int64)
    ass_ids = np.arange(1, len(pi) + 1, dtype=np.int64)
    is_last = ki == n_alloc[pi] - 1
    start = alloc_day[pi, ki]
    nxt_day = np.where(is_last, discharged[pi], alloc_day[pi, np.minimum(ki + 1, K - 1)])
    end = np.where(nxt_day > day_end, -1, nxt_day)

    periods = pa.table({
        "period_id": ass_ids, "episode_id": ep_id[pi],
        "cluster": pa.array(np.where(variance[pi, ki], "00", np.array(codes)[chosen[pi, ki]])),
        "start": pa.array(start.astype("datetime64[D]")),
        "end": pa.array(end.astype("datetime64[D]"), mask=end < 0),
        "assessment_id": ass_ids,
        "red_rule_breach": breach[pi, ki], "fit": fit[pi, ki],
    })

    # discharge ratings (not for early discharges by the cream-skimmer), and triage ratings for turned-away referrals
    closed = accepted & (discharged <= day_end)
    dis_rated = closed & ~early & (rng.random(n) < 0.75)
    last_cont = base - (resp * (1 - np.exp(-length / 200.0)))[:, None] * (base / 2.0) + rng.normal(0, 0.45, (n, 18))
    last_cont[:, :12] -= inflate[:, None] * rng.uniform(0.5, 1.5, (n, 12))
    last_r = np.clip(np.rint(last_cont), 0, 4).astype(np.int8)
    last_r[rng.random((n, 18)) < spec.not_known_rate] = 9
    triage = ~accepted
    tri_r = np.clip(np.rint(base + rng.normal(0, 0.45, (n, 18))), 0, 4).astype(np.int8)
    extra = np.concatenate([np.nonzero(dis_rated)[0], np.nonzero(triage)[0]])
    extra_day = np.concatenate([discharged[dis_rated], referred[triage]])
    extra_r = np.concatenate([last_r[dis_rated], tri_r[triage]])
    all_r = np.concatenate([ratings[pi, ki], extra_r])
    a_ep = np.concatenate([ep_id[pi], ep_id[extra]])
    a_day = np.concatenate([start, extra_day])
    a_id = np.arange(1, len(a_ep) + 1, dtype=np.int64)
    persons = np.concatenate([pi, extra])
    prom_done = rng.random(len(a_ep)) < 0.4
    swem = np.clip(np.rint(24 - 3 * z[persons] + 0.5 * (12 - all_r[:, :12].clip(0, 4).sum(axis=1) / 2)), 7, 35)
    ass = {"assessment_id": a_id, "episode_id": a_ep, "assessed_on": pa.array(a_day.astype("datetime64[D]"))}
    for j, c in enumerate(ITEM_CODES):
        ass[c] = pa.array(all_r[:, j], pa.int8())
    ass["swemwbs"] = pa.array(swem.astype(float), mask=~prom_done)

    episodes = pa.table({
        "episode_id": ep_id, "person_id": ep_id + 10_000_000,
        "provider": pa.array(np.array([p.code for p in spec.providers])[prov]),
        "team": pa.array(np.char.add(np.char.add(np.array([p.code for p in spec.providers])[prov], "-T"), team.astype(str))),
        "commissioner": pa.array(np.array(spec.commissioners)[comm]),
        "referred_on": pa.array(referred.astype("datetime64[D]")),
        "discharged_on": pa.array(np.where(closed, discharged, 0).astype("datetime64[D]"), mask=~closed),
        "accepted": accepted,
    })
    settled_p = 1 / (1 + np.exp(-(1.6 - 0.6 * z)))
    rec = rng.random(n) < 0.85
    accommodation = pa.table({
        "person_id": (ep_id + 10_000_000)[rec],
        "recorded_on": pa.array(referred[rec].astype("datetime64[D]")),
        "settled": (rng.random(n) < settled_p)[rec],
    })
    truth = {
        "upcoders": sorted({p.code for p in spec.providers if p.upcode_rate > 0}),
        "cream_skimmers": sorted({p.code for p in spec.providers if p.cream_skim > 0}),
        "inflators": sorted({p.code for p in spec.providers if p.inflate_improvement > 0}),
        "upcoded_allocations": int(upcoded[alive].sum()),
    }
    return OutcomeInputs.build(episodes, periods, pa.table(ass), accommodation, source=f"synthetic:seed={spec.seed}"), truth


def gaming_trust(n_people: int = 9000, seed: int = 20261122) -> tuple[OutcomeInputs, dict]:
    """Six providers: two honest (one with a sicker case mix), one upcoder, one cream-skimmer, one inflator, one honest small."""
    providers = (
        ProviderSpec("RH1", n_teams=3, share=1.0),
        ProviderSpec("RH2", n_teams=3, share=1.0, severity_shift=0.5),
        ProviderSpec("RH3", n_teams=2, share=0.6, severity_shift=-0.3),
        ProviderSpec("RUP", n_teams=3, share=1.0, upcode_rate=0.45, upcode_from=date(2023, 6, 1)),
        ProviderSpec("RCS", n_teams=3, share=1.0, cream_skim=0.6),
        ProviderSpec("RIN", n_teams=2, share=0.8, inflate_improvement=0.35),
    )
    return synthetic_trust(TrustSpec(providers=providers, n_people=n_people, seed=seed))
