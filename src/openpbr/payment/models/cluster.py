"""Cluster activity: mental health care clusters paid per cluster day or per cluster period.

Rules (each a named unit; the contract's ``unit`` and ``transfer_rule`` pick one):

cluster.per_day            price/day x need weight x days in cluster in the window. Each day is priced
                           by the entry in force on that day, so a price change mid-month splits a line.
cluster.per_period.pro_rata  a period runs from the cluster start for the maximum review period, then
                           the next, and so on. Each period is priced at its start date and paid
                           price x days held / days in the period: a transfer or cluster change part-way
                           pays each provider (and each cluster) for its own days.
cluster.per_period.owner   the whole period price goes to the provider holding the person at the
                           period start; a transfer or cluster change starts a new period.
cluster.assessment         initial assessment, per assessment dated in the window.
cluster.bed_day            inpatient occupied bed days in the window x price per bed day.

The rounding unit is one person's cluster period at one price entry; amounts
spread over time are rounded cumulatively (see ``openpbr.payment.money``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa

from openpbr.clustering.review import review_due_array
from openpbr.payment.activity import col_days, col_str
from openpbr.payment.calendar import overlap
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context, weights_bp
from openpbr.payment.contracts import ClusterActivityModel
from openpbr.payment.models.grouping import group_sums
from openpbr.payment.money import ROUNDING_RULE, pence, round_div
from openpbr.payment.prices import EPOCH, ScheduleIndex, schedule_index
from openpbr.payment.statement import Line

MODEL = "cluster_activity"


def _price(idx: ScheduleIndex, name: str) -> np.ndarray:
    return idx.field(name, convert=pence, default=-1).astype(np.int64)


def settle(ctx: Context, model: ClusterActivityModel, prior: list[Line]) -> list[Line]:
    idx = schedule_index(model.price_schedule)
    lines: list[Line] = []
    cp = ctx.table("cluster_periods")
    if cp is not None:
        if model.unit == "per_cluster_day":
            lines += _per_day(ctx, model, idx, cp)
        else:
            lines += _per_period(ctx, model, idx, cp)
    if model.pay_assessments and ctx.table("assessments") is not None:
        lines += _assessments(ctx, idx, ctx.table("assessments"))
    if model.pay_bed_days and ctx.table("bed_days") is not None:
        lines += _bed_days(ctx, idx, ctx.table("bed_days"))
    return lines


def _trace(rule: str, idx: ScheduleIndex, j: int | None, inputs: dict[str, Any], formula: str) -> dict[str, Any]:
    e = idx.entries[j] if j is not None and j >= 0 else None
    return {
        "rule": rule,
        "inputs": inputs,
        "prices": [idx.schedule.label(e)] if e is not None else [idx.schedule.ref],
        "formula": formula,
        "rounding": ROUNDING_RULE,
        "provisional": bool(e.provenance.provisional) if e is not None else False,
    }


def _not_paid(ctx: Context, rule: str, code: PayCode, qty_by_cluster: dict[str, tuple[int, int]], unit: str,
              idx: ScheduleIndex) -> list[Line]:
    out = []
    for cluster, (rows, qty) in sorted(qty_by_cluster.items()):
        if qty <= 0 and rows <= 0:
            continue
        out.append(
            Line(ctx.contract.contract_id, MODEL, rule, code, f"Cluster {cluster}: not paid ({code.value})",
                 int(qty), unit, 0, _trace(rule, idx, None, {"cluster": cluster, "rows": int(rows), unit: int(qty)},
                                           "not priced: see code"))
        )
    return out


def _per_day(ctx: Context, model: ClusterActivityModel, idx: ScheduleIndex, cp: pa.Table) -> list[Line]:
    a, b = ctx.active_window
    s = col_days(cp, "start_date")
    e = col_days(cp, "end_date", open_end=True)
    cluster = col_str(cp, "cluster")
    need = col_str(cp, "need_group", "standard")
    w = weights_bp(need, model.need_weights)
    kc = idx.codes_for(cluster)
    in_window = overlap(s, e, a, b)
    rule = "cluster.per_day"
    price = _price(idx, "per_day")
    payable = idx.schedule.status.payable(ctx.mode)
    covered = np.zeros(len(s), dtype=np.int64)
    lines: list[Line] = []
    for j in range(len(idx.entries)):
        m = (kc == idx.key_code[j]) & (in_window > 0)
        if not m.any() or price[j] < 0:
            continue
        vf, vt = idx.start[j], idx.end[j]
        sj, ej, wj = s[m], e[m], w[m]
        days_b = overlap(sj, np.minimum(ej, b), vf, vt)  # days at this price from period start to window end
        days_a = overlap(sj, np.minimum(ej, a), vf, vt)
        days = days_b - days_a
        covered[m] += days
        amount = round_div(price[j] * wj * days_b, 10000) - round_div(price[j] * wj * days_a, 10000)
        sel = days > 0
        if not sel.any():
            continue
        if not payable:
            continue
        for r in group_sums({"need_group": need[m][sel].astype(str)}, {"amount": amount[sel], "days": days[sel]}):
            cl = idx.keys[idx.key_code[j]]
            weight = model.need_weights.get(r["need_group"], "1")
            lines.append(
                Line(ctx.contract.contract_id, MODEL, rule, PayCode.PRICED,
                     f"Cluster {cl} per cluster day ({r['need_group']}, weight {weight})", int(r["days"]), "cluster days",
                     int(r["amount"]),
                     _trace(rule, idx, j, {"cluster": cl, "need_group": r["need_group"], "need_weight": weight,
                                           "periods": int(r["rows"]), "days": int(r["days"]),
                                           "price_per_day_pence": int(price[j])},
                            "sum over cluster periods of price/day x need weight x days in window"))
            )
    unpriced = in_window - covered
    lines += _exceptions(ctx, rule, idx, cluster, kc, in_window, unpriced, payable, "cluster days")
    return lines


def _exceptions(ctx: Context, rule: str, idx: ScheduleIndex, cluster: np.ndarray, kc: np.ndarray, qty_all: np.ndarray,
                qty_unpriced: np.ndarray, payable: bool, unit: str) -> list[Line]:
    out: list[Line] = []
    unknown = (kc < 0) & (qty_all > 0)
    if unknown.any():
        out += _not_paid(ctx, rule, PayCode.UNKNOWN_CURRENCY, _by_cluster(cluster[unknown], qty_all[unknown]), unit, idx)
    nop = (kc >= 0) & (qty_unpriced > 0)
    if nop.any():
        out += _not_paid(ctx, rule, PayCode.NO_PRICE_IN_FORCE, _by_cluster(cluster[nop], qty_unpriced[nop]), unit, idx)
    if not payable:
        live = (kc >= 0) & (qty_all - qty_unpriced > 0)
        out += _not_paid(ctx, rule, PayCode.PRICE_NOT_LIVE,
                         _by_cluster(cluster[live], (qty_all - qty_unpriced)[live]), unit, idx)
    return out


def _by_cluster(cluster: np.ndarray, qty: np.ndarray) -> dict[str, tuple[int, int]]:
    d: dict[str, tuple[int, int]] = {}
    for c, q in zip(cluster, qty):
        rows, tot = d.get(str(c), (0, 0))
        d[str(c)] = (rows + 1, tot + int(q))
    return d


def expand_review_periods(
    s: np.ndarray, e: np.ndarray, cluster: np.ndarray, until: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split cluster episodes into consecutive maximum review periods starting before ``until``.

    Returns (row index, period start, period end) arrays. A period's end is the
    review-due date from the start (``openpbr.clustering.review``), so months
    are calendar months.
    """
    rows, starts, ends = [], [], []
    cur = s.copy()
    active = np.nonzero((cur < e) & (cur < until))[0]
    while len(active):
        ps = cur[active]
        due = review_due_array((ps + EPOCH.astype(np.int64)).astype("datetime64[D]"), cluster[active])
        nat = np.isnat(due)
        pe = np.where(nat, ps + 1, (due - EPOCH).astype(np.int64))  # unknown cluster: one-day placeholder
        rows.append(active)
        starts.append(ps)
        ends.append(pe)
        cur[active] = pe
        nxt = (pe < e[active]) & (pe < until) & ~nat
        active = active[nxt]
    if not rows:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    return np.concatenate(rows), np.concatenate(starts), np.concatenate(ends)


def _per_period(ctx: Context, model: ClusterActivityModel, idx: ScheduleIndex, cp: pa.Table) -> list[Line]:
    a, b = ctx.active_window
    owner = model.transfer_rule == "period_owner"
    rule = "cluster.per_period.owner" if owner else "cluster.per_period.pro_rata"
    s = col_days(cp, "start_date")
    e = col_days(cp, "end_date", open_end=True)
    cluster = col_str(cp, "cluster")
    need = col_str(cp, "need_group", "standard")
    row, ps, pe = expand_review_periods(s, e, cluster, b)
    ee = e[row]
    if owner:
        keep = (ps >= a) & (ps < b)
    else:
        keep = overlap(ps, np.minimum(pe, ee), a, b) > 0
    row, ps, pe, ee = row[keep], ps[keep], pe[keep], ee[keep]
    cl = cluster[row]
    ng = need[row]
    w = weights_bp(ng, model.need_weights)
    kc = idx.codes_for(cl)
    j = idx.lookup(kc, ps)
    price = _price(idx, "per_period")
    pj = np.where(j >= 0, price[np.maximum(j, 0)], -1)
    priced = (j >= 0) & (pj >= 0)
    length = pe - ps
    held_b = overlap(ps, np.minimum(pe, ee), ps, b)
    held_a = overlap(ps, np.minimum(pe, ee), ps, a)
    if owner:
        amount = round_div(np.maximum(pj, 0) * w, 10000)
        qty = np.ones(len(ps), dtype=np.int64)
        unit = "cluster periods"
    else:
        amount = round_div(np.maximum(pj, 0) * w * held_b, length * 10000) - round_div(
            np.maximum(pj, 0) * w * held_a, length * 10000)
        qty = held_b - held_a
        unit = "cluster period days"
    payable = idx.schedule.status.payable(ctx.mode)
    lines: list[Line] = []
    if payable and priced.any():
        m = priced
        for r in group_sums({"entry": j[m], "need_group": ng[m].astype(str)},
                            {"amount": amount[m], "qty": qty[m], "length": length[m]}):
            jj = int(r["entry"])
            c = idx.keys[idx.key_code[jj]]
            weight = model.need_weights.get(r["need_group"], "1")
            lines.append(
                Line(ctx.contract.contract_id, MODEL, rule, PayCode.PRICED,
                     f"Cluster {c} per cluster period ({'period owner' if owner else 'pro rata by days'}; "
                     f"{r['need_group']}, weight {weight})", int(r["qty"]), unit, int(r["amount"]),
                     _trace(rule, idx, jj, {"cluster": c, "need_group": r["need_group"], "need_weight": weight,
                                            "periods": int(r["rows"]), unit: int(r["qty"]),
                                            "price_per_period_pence": int(price[jj]),
                                            "transfer_rule": model.transfer_rule},
                            "price/period x need weight" + ("" if owner else " x days held / days in period")
                            + ", priced at the period start"))
            )
    qty_all = qty
    lines += _exceptions(ctx, rule, idx, cl, kc, qty_all, np.where(priced, 0, qty_all), payable, unit)
    return lines


def _per_unit(ctx: Context, idx: ScheduleIndex, key: str) -> int:
    k = int(idx.codes_for(np.array([key], dtype=object))[0])
    return k


def _assessments(ctx: Context, idx: ScheduleIndex, t: pa.Table) -> list[Line]:
    a, b = ctx.active_window
    d = col_days(t, "assessed_on")
    m = (d >= a) & (d < b)
    n = int(m.sum())
    if not n:
        return []
    rule = "cluster.assessment"
    k = _per_unit(ctx, idx, "assessment")
    j = idx.lookup(np.full(n, k), d[m])
    price = _price(idx, "per_unit")
    ok = j >= 0
    lines = []
    payable = idx.schedule.status.payable(ctx.mode)
    for jj in sorted(set(j[ok].tolist())):
        cnt = int((j == jj).sum())
        code, amt = (PayCode.PRICED, cnt * int(price[jj])) if payable else (PayCode.PRICE_NOT_LIVE, 0)
        lines.append(Line(ctx.contract.contract_id, MODEL, rule, code, "Initial assessments", cnt, "assessments", amt,
                          _trace(rule, idx, jj, {"assessments": cnt, "price_pence": int(price[jj])},
                                 "assessments x price per assessment")))
    if (~ok).any():
        lines.append(Line(ctx.contract.contract_id, MODEL, rule, PayCode.NO_PRICE_IN_FORCE,
                          "Initial assessments: no price in force", int((~ok).sum()), "assessments", 0,
                          _trace(rule, idx, None, {"assessments": int((~ok).sum())}, "not priced")))
    return lines


def _bed_days(ctx: Context, idx: ScheduleIndex, t: pa.Table) -> list[Line]:
    a, b = ctx.active_window
    s = col_days(t, "start_date")
    e = col_days(t, "end_date", open_end=True)
    rule = "cluster.bed_day"
    k = _per_unit(ctx, idx, "inpatient_bed_day")
    price = _price(idx, "per_unit")
    payable = idx.schedule.status.payable(ctx.mode)
    total_days = overlap(s, e, a, b)
    covered = 0
    lines = []
    for j in np.nonzero(idx.key_code == k)[0] if k >= 0 else []:
        days = int(overlap(s, e, max(a, idx.start[j]), min(b, idx.end[j])).sum())
        if not days:
            continue
        covered += days
        code, amt = (PayCode.PRICED, days * int(price[j])) if payable else (PayCode.PRICE_NOT_LIVE, 0)
        lines.append(Line(ctx.contract.contract_id, MODEL, rule, code, "Inpatient occupied bed days", days, "bed days",
                          amt, _trace(rule, idx, int(j), {"bed_days": days, "price_per_day_pence": int(price[j])},
                                      "occupied bed days in window x price per bed day")))
    rest = int(total_days.sum()) - covered
    if rest > 0:
        lines.append(Line(ctx.contract.contract_id, MODEL, rule, PayCode.NO_PRICE_IN_FORCE,
                          "Inpatient bed days: no price in force", rest, "bed days", 0,
                          _trace(rule, idx, None, {"bed_days": rest}, "not priced")))
    return lines
