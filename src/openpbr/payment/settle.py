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
    adjustments: list[Statement] = field(default_factory=list)  # differences against a superseded stored run

    @property
    def total(self) -> int:
        return sum(s.total for s in self.statements)

    @property
    def basis_key(self) -> str:
        """The key of the inputs alone (a superseding run's own key also names the runs it supersedes)."""
        return self.inputs.get("basis_key", self.run_key)

    def all_statements(self) -> list[Statement]:
        """Contract statements, then adjustments, then the non-contract exceptions (if any)."""
        return self.statements + self.adjustments + ([self.exceptions] if self.exceptions.lines else [])

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


# Models paid for activity, and the tables that hold their activity.
ACTIVITY_OF_MODEL = {
    "cluster_activity": ("cluster_periods", "assessments", "bed_days"),
    "acute_tariff": ("spells",),
    "capitation": ("population",),
}


def _spans(name: str, t: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Each activity row's days [start, end): a spell counts on its discharge day, an assessment on its date."""
    if name == "spells":
        s = col_days(t, "discharge_date")
        return s, s + 1
    if name == "assessments":
        s = col_days(t, "assessed_on")
        return s, s + 1
    return col_days(t, "start_date"), col_days(t, "end_date", open_end=True)


def _rows_in(name: str, t: pa.Table, a: int, b: int) -> int:
    """Rows of an activity table that fall in the days [a, b)."""
    s, e = _spans(name, t)
    return int((overlap(s, e, a, b) > 0).sum())


def _coverage_line(contract: Contract, code: PayCode, description: str, quantity: int, unit: str, inputs: dict) -> Line:
    return Line(contract.contract_id, "coverage", "coverage." + code.value.lower(), code, description, quantity, unit, 0,
                {"rule": "coverage", "inputs": inputs, "prices": [], "formula": "not priced",
                 "rounding": ROUNDING_RULE, "provisional": False})


def coverage_lines(contract: Contract, window: Window, tables: dict) -> tuple[list[Line], bool]:
    """Visible lines when the contract's dates or activity do not cover the window; (lines, in force at all)."""
    c0, c1 = day(contract.valid_from), day(contract.valid_to)
    a, b = max(window.start, c0), min(window.end, c1)
    dates = {"contract_from": contract.valid_from.isoformat(), "contract_to": contract.valid_to.isoformat(),
             "window": window.label()}
    if b <= a:
        return [_coverage_line(contract, PayCode.CONTRACT_NOT_IN_FORCE,
                               f"Contract in force {contract.valid_from} to {contract.valid_to} (exclusive): "
                               f"not in force in {window.label()}", 0, "days", dates)], False
    lines = []
    if b - a < window.days:
        lines.append(_coverage_line(contract, PayCode.CONTRACT_PART_IN_FORCE,
                                    f"Contract in force for {b - a} of the {window.days} days of the window",
                                    b - a, "days", dates))
    for m in contract.models:
        names = ACTIVITY_OF_MODEL.get(m.type)
        if names is None:
            continue
        found = {n: _rows_in(n, tables[n], a, b) for n in names if n in tables}
        if not any(found.values()):
            lines.append(_coverage_line(
                contract, PayCode.NO_ACTIVITY_IN_WINDOW,
                f"{m.type}: no {' / '.join(names)} for {contract.provider} / {contract.commissioner} in the window",
                0, "rows", {**dates, "model": m.type, "tables": list(names),
                            "provider": contract.provider, "commissioner": contract.commissioner}))
    return lines, True


def settle_contract(contract: Contract, window: Window, mode: str, tables: dict, results: dict) -> tuple[Statement, dict]:
    ctx = Context(contract, window, mode, tables, results)
    cover, in_force = coverage_lines(contract, window, tables)
    if not in_force:  # nothing is due under it: say so on a line, never a silent zero statement
        return Statement(contract.contract_id, contract.commissioner, contract.provider, window.start_date,
                         window.end_date, cover, 0), {}
    lines: list[Line] = []
    for _stage, model in sorted(((STAGES[m.type][0], i), m) for i, m in enumerate(contract.models)):
        lines += STAGES[model.type][1](ctx, model, list(lines))
    st = Statement(contract.contract_id, contract.commissioner, contract.provider, window.start_date, window.end_date,
                   cover + lines, on_account(contract, window))
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
            s, e = _spans(name, t)
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


@dataclass(frozen=True)
class Invoiced:
    """What one stored live run settled for one contract in one window (pence per payment model)."""

    run_key: str
    start: date
    end: date  # exclusive
    by_model: dict[str, int]
    on_account: int

    @property
    def total(self) -> int:
        return sum(self.by_model.values())


def by_model(st: Statement) -> dict[str, int]:
    """A statement's money per payment model (coverage lines carry none)."""
    out: dict[str, int] = {}
    for ln in st.lines:
        if ln.model != "coverage":
            out[ln.model] = out.get(ln.model, 0) + ln.amount
    return out


def invoiced_from_runs(runs: list[SettlementRun]) -> dict[str, list[Invoiced]]:
    out: dict[str, list[Invoiced]] = {}
    for r in runs:
        for st in r.statements:
            out.setdefault(st.contract_id, []).append(
                Invoiced(r.run_key, r.window.start_date, r.window.end_date, by_model(st), st.on_account))
    return out


def reconcile(contracts: list[Contract], bundle: ActivityBundle, start: date, end: date,
              settled: list[SettlementRun], mode: str = "live") -> SettlementRun:
    """Reconcile [start, end) against runs settled in memory (see :func:`reconcile_with`)."""
    for r in settled:
        if not (start <= r.window.start_date and r.window.end_date <= end):
            raise ValueError(f"run {r.run_key} ({r.window.label()}) lies outside {start}..{end}")
    return reconcile_with(contracts, bundle, start, end, invoiced_from_runs(settled), mode)


def reconcile_with(contracts: list[Contract], bundle: ActivityBundle, start: date, end: date,
                   invoiced: dict[str, list[Invoiced]], mode: str = "live") -> SettlementRun:
    """Reconcile [start, end) (year to date or the whole year) against what was invoiced in it.

    ``invoiced`` holds, per contract, the statements of the live runs already
    settled (stored runs, for the finance lead: what was actually invoiced).
    Each contract gets one RECONCILIATION line per payment model: the amount
    for the whole reconciled period minus what was invoiced for that model.
    Non-linear terms (risk share, MRET) are where these differ from zero.
    A month with no invoiced run gets a NO_STORED_RUN line naming it.
    """
    whole = settle(contracts, bundle, start, end, mode)
    key, inputs = run_key(contracts, bundle, whole.window, mode, kind="reconciliation")
    inputs["settled_runs"] = sorted({i.run_key for rows in invoiced.values() for i in rows})
    key = hashlib.sha256((key + "".join(inputs["settled_runs"])).encode()).hexdigest()[:24]
    months = month_windows(start, end)
    out = []
    for st in whole.statements:
        rows = [i for i in invoiced.get(st.contract_id, []) if start <= i.start and i.end <= end]
        paid: dict[str, int] = {}
        for i in rows:
            for model, amount in i.by_model.items():
                paid[model] = paid.get(model, 0) + amount
        due = by_model(st)
        runs = sorted({i.run_key for i in rows})
        lines = [ln for ln in st.lines if ln.model == "coverage"]  # the contract's own coverage gaps stay visible
        missing = [m0 for m0, m1 in months if not any(i.start <= m0 and m1 <= i.end for i in rows)]
        if missing:
            labels = [f"{m:%Y-%m}" for m in missing]
            lines.append(Line(st.contract_id, "coverage", "reconciliation.no_stored_run", PayCode.NO_STORED_RUN,
                              f"No stored live run for {', '.join(labels)}: nothing invoiced to compare with",
                              len(missing), "months", 0,
                              {"rule": "reconciliation.no_stored_run", "inputs": {"months": labels},
                               "prices": [], "formula": "not priced", "rounding": ROUNDING_RULE,
                               "provisional": False}))
        for model in sorted(set(due) | set(paid)):
            diff = due.get(model, 0) - paid.get(model, 0)
            lines.append(Line(st.contract_id, model, "reconciliation", PayCode.RECONCILIATION,
                              f"{model}: reconciled {whole.window.label()}", 0, "", diff,
                              {"rule": "reconciliation", "inputs": {"due_pence": due.get(model, 0),
                                                                    "settled_pence": paid.get(model, 0),
                                                                    "settled_runs": runs},
                               "prices": [], "formula": "due for the whole period - already settled",
                               "rounding": "none (difference of whole pence)", "provisional": False}))
        out.append(Statement(st.contract_id, st.commissioner, st.provider, start, end, lines,
                             on_account=st.on_account - sum(i.on_account for i in rows), kind="reconciliation"))
    return SettlementRun(key, whole.window, mode, out, whole.exceptions, {}, inputs, kind="reconciliation")


def with_adjustments(run: SettlementRun, prior: dict[str, Invoiced], supersede: list[str] | None = None) -> SettlementRun:
    """The run restated over stored runs: ``prior`` is, per contract, the live statement it restates;
    ``supersede`` the stored runs it replaces (default: those named in ``prior``).

    Each contract whose money changed gets an adjustment statement with one
    ADJUSTMENT_PRIOR_RUN line per payment model (now - stored, whole pence):
    the supplementary invoice or credit note for the window. The run's own
    statements stay the full restated window. The key names the superseded runs,
    so settling the same inputs over a different history is a different run.
    """
    superseded = sorted(set(supersede) if supersede is not None else {p.run_key for p in prior.values()})
    against = sorted({p.run_key for p in prior.values()} | set(superseded))
    if not against:
        return run
    inputs = {**run.inputs, "basis_key": run.basis_key, "supersedes": superseded, "adjusted_against": against}
    key = hashlib.sha256((run.basis_key + "|" + ",".join(against)).encode()).hexdigest()[:24]
    adjustments = []
    for st in run.statements:
        before = prior.get(st.contract_id)
        if before is None:
            continue
        now = by_model(st)
        lines = []
        for model in sorted(set(now) | set(before.by_model)):
            diff = now.get(model, 0) - before.by_model.get(model, 0)
            if diff:
                lines.append(Line(st.contract_id, model, "adjustment.prior_run", PayCode.ADJUSTMENT_PRIOR_RUN,
                                  f"{model}: restated against run {before.run_key}", 0, "", diff,
                                  {"rule": "adjustment.prior_run",
                                   "inputs": {"superseded_run": before.run_key, "stored_pence": before.by_model.get(model, 0),
                                              "now_pence": now.get(model, 0)},
                                   "prices": [], "formula": "now due - stored in the superseded run",
                                   "rounding": "none (difference of whole pence)", "provisional": False}))
        if lines:
            adjustments.append(Statement(st.contract_id, st.commissioner, st.provider, st.period_start, st.period_end,
                                         lines, 0, kind="adjustment"))
    return SettlementRun(key, run.window, run.mode, run.statements, run.exceptions, run.details, inputs, run.kind,
                         adjustments)


def month_windows(start: date, end: date) -> list[tuple[date, date]]:
    from dateutil.relativedelta import relativedelta

    out, d = [], start
    while d < end:
        nxt = min(date(d.year, d.month, 1) + relativedelta(months=1), end)
        out.append((d, nxt))
        d = nxt
    return out


__all__ = ["SettlementRun", "Invoiced", "settle", "reconcile", "reconcile_with", "with_adjustments", "month_windows"]
