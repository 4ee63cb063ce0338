"""Settlement runs: every contract, one window, statements with traced lines.

A run is keyed by its inputs (window, mode, contract digests, price schedule
versions, activity digest): the same inputs always give the same key and the
same statements, so a re-run changes nothing. Models run in a fixed order so
each can see what it depends on:

  1 activity      block, cluster activity, acute tariff, capitation
  2 deductions    personal budgets
  3 risk share    on activity value
  4 outcomes      service fee + results share, or withhold / bonus on activity value
  5 quality       CQUIN on actual annual value (after deductions and withholds)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openpbr import __version__
from openpbr.payment.activity import ActivityBundle, col_days, col_str, rejected_lines, screen
from openpbr.payment.calendar import months_started, overlap
from openpbr.payment.codes import PayCode
from openpbr.payment.context import Context, Window
from openpbr.payment.contracts import (
    AcuteTariffModel,
    ClusterActivityModel,
    Contract,
)
from openpbr.payment.models import acute, block, capitation, cluster, cquin, outcomes, personal_budget, risk_share
from openpbr.payment.money import ROUNDING_RULE, round_fraction
from openpbr.payment.prices import day, load_schedule
from openpbr.payment.statement import Line, Statement

STAGES = {
    "block": (1, block.settle),
    "cluster_activity": (1, cluster.settle),
    "acute_tariff": (1, acute.settle),
    "capitation": (1, capitation.settle),
    "personal_budgets": (2, personal_budget.settle),
    "risk_share": (3, risk_share.settle),
    "outcome": (4, outcomes.settle),
    "cquin": (5, cquin.settle),
}
ACTIVITY_TABLES = ("cluster_periods", "assessments", "bed_days", "spells", "population", "personal_budgets")
NON_CONTRACT = "NON-CONTRACT"


@dataclass
class SettlementRun:
    run_key: str
    window: Window
    mode: str
    statements: list[Statement]
    exceptions: Statement
    details: dict[str, dict[str, pa.Table]] = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    kind: str = "settlement"

    @property
    def total(self) -> int:
        return sum(s.total for s in self.statements)

    def statement(self, contract_id: str) -> Statement:
        return next(s for s in self.statements if s.contract_id == contract_id)


def schedule_refs(contracts: list[Contract]) -> list[str]:
    names = set()
    for c in contracts:
        for m in c.models:
            if isinstance(m, ClusterActivityModel):
                names.add(m.price_schedule)
            elif isinstance(m, AcuteTariffModel):
                names |= {m.tariff_schedule, m.unbundled_schedule, m.topup_schedule, m.mff_schedule}
    return sorted(load_schedule(n).ref for n in names)


def run_key(contracts: list[Contract], bundle: ActivityBundle, window: Window, mode: str, kind: str = "settlement") -> tuple[str, dict]:
    inputs = {
        "kind": kind,
        "window": [window.start_date.isoformat(), window.end_date.isoformat()],
        "mode": mode,
        "contracts": {c.contract_id: c.digest for c in contracts},
        "prices": schedule_refs(contracts),
        "activity": bundle.digest(),
        "engine": __version__,
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()[:24], inputs


def partition(t: pa.Table | None) -> dict[tuple[str, str], pa.Table]:
    """Split a table by (provider, commissioner) with one sort, not one scan per contract."""
    if t is None or t.num_rows == 0:
        return {}
    key = pc.binary_join_element_wise(t.column("provider"), t.column("commissioner"), "\x00").combine_chunks()
    enc = key.dictionary_encode()
    codes = np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
    order = np.argsort(codes, kind="stable")
    t = t.take(pa.array(order))
    codes = codes[order]
    names = enc.dictionary.to_pylist()
    brk = np.nonzero(np.r_[True, codes[1:] != codes[:-1]])[0]
    ends = np.r_[brk[1:], len(codes)]
    return {tuple(names[codes[s]].split("\x00", 1)): t.slice(s, e - s) for s, e in zip(brk, ends)}


def on_account(contract: Contract, window: Window) -> int:
    """Payments on account for the window: the annual plan in 12 equal monthly instalments (cumulative)."""
    poa = contract.payments_on_account
    if poa is None:
        return 0
    from openpbr.payment.calendar import contract_years

    years = contract_years(contract.valid_from, contract.valid_to)
    a = max(window.start, day(contract.valid_from))
    b = min(window.end, day(contract.valid_to))
    if b <= a:
        return 0
    return round_fraction(poa.annual * months_started(years, b)) - round_fraction(poa.annual * months_started(years, a))


def settle_contract(contract: Contract, window: Window, mode: str, tables: dict, results: dict) -> tuple[Statement, dict]:
    ctx = Context(contract, window, mode, tables, results)
    lines: list[Line] = []
    for _stage, model in sorted(((STAGES[m.type][0], i), m) for i, m in enumerate(contract.models)):
        lines += STAGES[model.type][1](ctx, model, list(lines))
    st = Statement(contract.contract_id, contract.commissioner, contract.provider, window.start_date, window.end_date,
                   lines, on_account(contract, window))
    return st, ctx.detail


def settle(contracts: list[Contract], bundle: ActivityBundle, start: date, end: date, mode: str = "live") -> SettlementRun:
    """Settle every contract for [start, end). Pure: no side effects, same inputs -> same run."""
    window = Window(start, end)
    screen(bundle)  # rows the declared tables refuse are set aside, to be shown as unpaid lines
    key, inputs = run_key(contracts, bundle, window, mode)
    if not bundle._parts:  # partition once per bundle, reuse for every month settled from it
        bundle._parts.update({name: partition(getattr(bundle, name)) for name in ACTIVITY_TABLES})
    parts = bundle._parts
    results = _results_by_contract(bundle.indicator_results)
    statements, details = [], {}
    for c in contracts:
        pair = (c.provider, c.commissioner)
        tables = {name: parts[name][pair] for name in ACTIVITY_TABLES if pair in parts[name]}
        st, det = settle_contract(c, window, mode, tables, results.get(c.contract_id, {}))
        statements.append(st)
        if det:
            details[c.contract_id] = det
    exceptions = non_contract(contracts, parts, window)
    exceptions.lines += rejected_lines(bundle, start, end, NON_CONTRACT)
    return SettlementRun(key, window, mode, statements, exceptions, details, inputs)


def _results_by_contract(t: pa.Table | None) -> dict[str, dict[str, pa.Table]]:
    out: dict[str, dict[str, pa.Table]] = {}
    if t is None:
        return out
    cid = col_str(t, "contract_id").astype(str)
    ind = col_str(t, "indicator").astype(str)
    for c, i in sorted(set(zip(cid, ind))):
        out.setdefault(c, {})[i] = t.filter(pa.array((cid == c) & (ind == i)))
    return out


def non_contract(contracts: list[Contract], parts: dict, window: Window) -> Statement:
    """Activity in the window that no contract covers: listed, never silently dropped."""
    spans: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for c in contracts:
        spans.setdefault((c.provider, c.commissioner), []).append((day(c.valid_from), day(c.valid_to)))
    a, b = window.start, window.end
    lines: list[Line] = []
    for name, by_pair in parts.items():
        if name in ("personal_budgets", "population"):  # registers, not activity
            continue
        for pair, t in sorted(by_pair.items()):
            if name == "spells":
                s = col_days(t, "discharge_date")
                e = s + 1
            elif name == "assessments":
                s = col_days(t, "assessed_on")
                e = s + 1
            else:
                s, e = col_days(t, "start_date"), col_days(t, "end_date", open_end=True)
            need = overlap(s, e, a, b)
            got = np.zeros(len(s), dtype=np.int64)
            for c0, c1 in spans.get(pair, []):
                got += overlap(s, e, max(a, c0), min(b, c1))
            gap = need - got
            m = gap > 0
            if m.any():
                lines.append(Line(NON_CONTRACT, name, "non_contract", PayCode.NOT_COVERED_BY_CONTRACT,
                                  f"{name}: provider {pair[0]}, commissioner {pair[1]}: no contract in force",
                                  int(gap[m].sum()), "days" if name not in ("spells", "assessments") else name, 0,
                                  {"rule": "non_contract", "inputs": {"provider": pair[0], "commissioner": pair[1],
                                                                      "rows": int(m.sum())},
                                   "prices": [], "formula": "not priced", "rounding": ROUNDING_RULE,
                                   "provisional": False}))
    return Statement(NON_CONTRACT, "", "", window.start_date, window.end_date, lines, 0, kind="exceptions")


def reconcile(contracts: list[Contract], bundle: ActivityBundle, start: date, end: date,
              settled: list[SettlementRun], mode: str = "live") -> SettlementRun:
    """Reconcile [start, end) (year to date or the whole year) against the runs already settled in it.

    Each contract gets one RECONCILIATION line per payment model: the amount
    for the whole reconciled period minus what the settled runs paid for that
    model. Non-linear terms (risk share, MRET) are where these differ from zero.
    """
    whole = settle(contracts, bundle, start, end, mode)
    key, inputs = run_key(contracts, bundle, whole.window, mode, kind="reconciliation")
    inputs["settled_runs"] = sorted(r.run_key for r in settled)
    key = hashlib.sha256((key + "".join(inputs["settled_runs"])).encode()).hexdigest()[:24]
    out = []
    for st in whole.statements:
        paid: dict[str, int] = {}
        paid_on_account = 0
        for r in settled:
            if not (start <= r.window.start_date and r.window.end_date <= end):
                raise ValueError(f"run {r.run_key} ({r.window.label()}) lies outside {start}..{end}")
            prev = next((s for s in r.statements if s.contract_id == st.contract_id), None)
            if prev is None:
                continue
            paid_on_account += prev.on_account
            for ln in prev.lines:
                paid[ln.model] = paid.get(ln.model, 0) + ln.amount
        due: dict[str, int] = {}
        for ln in st.lines:
            due[ln.model] = due.get(ln.model, 0) + ln.amount
        lines = []
        for model in sorted(set(due) | set(paid)):
            diff = due.get(model, 0) - paid.get(model, 0)
            lines.append(Line(st.contract_id, model, "reconciliation", PayCode.RECONCILIATION,
                              f"{model}: reconciled {whole.window.label()}", 0, "", diff,
                              {"rule": "reconciliation", "inputs": {"due_pence": due.get(model, 0),
                                                                    "settled_pence": paid.get(model, 0),
                                                                    "settled_runs": inputs["settled_runs"]},
                               "prices": [], "formula": "due for the whole period - already settled",
                               "rounding": "none (difference of whole pence)", "provisional": False}))
        out.append(Statement(st.contract_id, st.commissioner, st.provider, start, end, lines,
                             on_account=st.on_account - paid_on_account, kind="reconciliation"))
    return SettlementRun(key, whole.window, mode, out, whole.exceptions, {}, inputs, kind="reconciliation")


def month_windows(start: date, end: date) -> list[tuple[date, date]]:
    from dateutil.relativedelta import relativedelta

    out, d = [], start
    while d < end:
        nxt = min(date(d.year, d.month, 1) + relativedelta(months=1), end)
        out.append((d, nxt))
        d = nxt
    return out


__all__ = ["SettlementRun", "settle", "reconcile", "month_windows"]
