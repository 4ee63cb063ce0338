"""Synthetic activity for the demo, the what-if and the benchmark (no real people).

People move through consecutive cluster episodes across the year; a few
transfer to another provider, a few are admitted (bed days), some hold a
personal budget. Everything is drawn from a seeded generator, so the same
arguments always give the same bundle.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pyarrow as pa

from openpbr.payment.activity import ActivityBundle
from openpbr.payment.prices import day

CLUSTERS = np.array(["00", "01", "02", "03", "04", "05", "06", "07", "08", "10", "11", "12", "13", "14", "15", "16",
                     "17", "18", "19", "20", "21"])
# rough caseload mix: common problems and psychosis dominate
MIX = np.array([2, 8, 7, 12, 8, 4, 2, 5, 2, 4, 10, 9, 5, 2, 1, 3, 2, 4, 5, 3, 2], dtype=float)
HIGH_NEED = {"05", "08", "12", "13", "14", "15", "16", "17", "20", "21"}


def _dates(days: np.ndarray) -> pa.Array:
    return pa.array(days.astype(np.int32), type=pa.int32()).cast(pa.date32())


def synthetic_bundle(people: int, providers: list[str], commissioners: list[str], start: date, end: date,
                     seed: int = 1, acute_provider: str | None = None, spells: int = 0,
                     pair_of_person: np.ndarray | None = None) -> ActivityBundle:
    rng = np.random.default_rng(seed)
    a, b = day(start), day(end)
    pid = np.arange(people, dtype=np.int64)
    if pair_of_person is None:
        prov = rng.integers(0, len(providers), people)
        comm = rng.integers(0, len(commissioners), people)
    else:
        prov, comm = pair_of_person
    # 1-3 episodes per person; first starts up to 2 years before the year, last may stay open
    n_ep = rng.choice([1, 2, 3], size=people, p=[0.5, 0.35, 0.15])
    rows = np.repeat(pid, n_ep)
    k = np.concatenate([np.arange(n) for n in n_ep]) if people else np.zeros(0, np.int64)
    first = a - rng.integers(0, 730, people)
    span = (b - first)
    # cut points spread across the person's span
    frac = np.sort(rng.random((people, 3)), axis=1)
    cuts = first[:, None] + (frac * span[:, None]).astype(np.int64)
    starts = np.where(k == 0, first[rows], cuts[rows, np.maximum(k - 1, 0)])
    ends = np.where(k == n_ep[rows] - 1, -1, cuts[rows, np.minimum(k, 2)])
    ends = np.where((ends <= starts) & (ends != -1), starts + 1, ends)
    closes = rng.random(len(rows)) < 0.3
    ends = np.where((ends == -1) & closes, starts + rng.integers(30, 400, len(rows)), ends)
    cl = rng.choice(CLUSTERS, size=len(rows), p=MIX / MIX.sum())
    p_rows = prov[rows].copy()
    transfer = (k > 0) & (rng.random(len(rows)) < 0.05)  # a later episode with another provider
    p_rows[transfer] = rng.integers(0, len(providers), int(transfer.sum()))
    need = np.where(np.isin(cl, list(HIGH_NEED)), "high", "standard")
    end_arr = pa.array(np.where(ends == -1, 0, ends).astype(np.int32), mask=(ends == -1)).cast(pa.date32())
    prov_names = np.array(providers, dtype=object)
    comm_names = np.array(commissioners, dtype=object)
    cluster_periods = pa.table({
        "person_id": pa.array(rows.astype(str)), "provider": pa.array(prov_names[p_rows].astype(str)),
        "commissioner": pa.array(comm_names[comm[rows]].astype(str)), "cluster": pa.array(cl),
        "start_date": _dates(starts), "end_date": end_arr, "need_group": pa.array(need),
    })
    new = first >= a  # assessed in the year
    assessments = pa.table({
        "person_id": pa.array(pid[new].astype(str)), "provider": pa.array(prov_names[prov[new]].astype(str)),
        "commissioner": pa.array(comm_names[comm[new]].astype(str)), "assessed_on": _dates(first[new]),
    })
    adm = rng.random(people) < 0.02
    bs = a + rng.integers(0, b - a, int(adm.sum()))
    bed_days = pa.table({
        "person_id": pa.array(pid[adm].astype(str)), "provider": pa.array(prov_names[prov[adm]].astype(str)),
        "commissioner": pa.array(comm_names[comm[adm]].astype(str)), "start_date": _dates(bs),
        "end_date": _dates(bs + rng.integers(3, 60, int(adm.sum()))),
    })
    risk = np.where(rng.random(people) < 0.25, "high", "standard")
    population = pa.table({
        "person_id": pa.array(pid.astype(str)), "provider": pa.array(prov_names[prov].astype(str)),
        "commissioner": pa.array(comm_names[comm].astype(str)), "risk_group": pa.array(risk),
        "start_date": _dates(np.full(people, a)), "end_date": _dates(np.full(people, b)),
    })
    phb = rng.random(people) < 0.01
    ps = a + rng.integers(0, b - a, int(phb.sum()))
    personal_budgets = pa.table({
        "person_id": pa.array(pid[phb].astype(str)), "provider": pa.array(prov_names[prov[phb]].astype(str)),
        "commissioner": pa.array(comm_names[comm[phb]].astype(str)), "start_date": _dates(ps),
        "end_date": pa.nulls(int(phb.sum()), pa.date32()),
        "annual_value": pa.array([f"{v}.00" for v in rng.integers(1000, 6000, int(phb.sum()))], type=pa.string()),
    })
    bundle = ActivityBundle(cluster_periods=cluster_periods, assessments=assessments, bed_days=bed_days,
                            population=population, personal_budgets=personal_budgets)
    if acute_provider and spells:
        bundle.spells = synthetic_spells(spells, acute_provider, commissioners, start, end, rng)
    return bundle


def synthetic_spells(n: int, provider: str, commissioners: list[str], start: date, end: date, rng) -> pa.Table:
    a, b = day(start), day(end)
    hrg = rng.choice(["PA00X", "HN12A", "HT01A", "EB03X", "FZ91M", "WH99Z"], n, p=[0.05, 0.1, 0.05, 0.3, 0.3, 0.2])
    pod = rng.choice(["NEL", "EL", "DC"], n, p=[0.5, 0.25, 0.25])
    los = np.where(pod == "DC", 0, rng.geometric(0.2, n) - 1)
    dis = a + rng.integers(0, b - a, n)
    return pa.table({
        "spell_id": pa.array([f"S{i}" for i in range(n)]), "provider": pa.array([provider] * n),
        "commissioner": pa.array(np.array(commissioners, dtype=object)[rng.integers(0, len(commissioners), n)].astype(str)),
        "hrg": pa.array(hrg), "pod": pa.array(pod),
        "admission_date": _dates(dis - los), "discharge_date": _dates(dis),
        "age": pa.array(rng.integers(0, 95, n)), "admission_method": pa.array(np.where(pod == "NEL", "21", "11")),
        "bpt_met": pa.array(rng.random(n) < 0.6), "spec_service": pa.array(np.where(rng.random(n) < 0.05, "orthopaedic", "")),
        "unbundled": pa.array(np.where(rng.random(n) < 0.1, "RD01A", "")),
    })


def indicator_results(contract_ids: list[str], indicators: list[str], seed: int = 1) -> pa.Table:
    rng = np.random.default_rng(seed)
    rows = [(c, i, f"{rng.uniform(0.5, 1.0):.3f}") for c in contract_ids for i in indicators]
    return pa.table({"contract_id": [r[0] for r in rows], "indicator": [r[1] for r in rows],
                     "value": [r[2] for r in rows]})


__all__ = ["synthetic_bundle", "synthetic_spells", "indicator_results"]
