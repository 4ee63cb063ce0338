"""Settlement use cases: settle a window, restate it (supersede), reconcile, what-if, read stored runs.

Every face (``openpbr pay``, the demo, the API next) calls these. Conventions
(see :mod:`openpbr.services`): plain values in, typed values out, no printing,
reads filtered by the caller's :class:`~openpbr.access.Scope` (a scope sees a
contract when it holds its provider or its commissioner; an empty scope sees
nothing), user-fixable problems raised as :class:`~openpbr.errors.OpenPbRError`.

Where indicator results come from (outcome and CQUIN payments):

- a file: ``indicators`` names an ``indicator_results.csv`` written by
  ``openpbr outcomes indicators --payment-results``;
- the records database: with ``records_db`` and no file, the indicators are
  computed from the same database the activity is read from.

Both routes run :func:`openpbr.outcomes.payment_feed.payment_results_from_records`
on the same data, so they settle to the same penny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import Engine

from openpbr.access import Scope
from openpbr.errors import InputError, NotFound
from openpbr.payment.activity import ActivityBundle
from openpbr.payment.codes import PayCode
from openpbr.payment.contracts import Contract
from openpbr.payment.settle import NON_CONTRACT, SettlementRun
from openpbr.payment.statement import Statement

MODES = ("live", "shadow")

Db = Engine | str


# ---------------------------------------------------------------- inputs


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}", code="BAD_MODE")
    return mode


def check_window(start: date, end: date) -> None:
    if end <= start:
        raise InputError(f"the window end {end} is not after its start {start} (end is the first day not included)",
                         code="BAD_WINDOW")


def load_contracts(path: str | Path) -> list[Contract]:
    """Contracts from a folder or file; a missing path or a bad file is one InputError."""
    from openpbr.payment.contracts import load_contracts as _load

    p = Path(path)
    if not p.exists():
        raise InputError(f"contracts {p} not found (give a folder of contract YAML files)", code="FILE_NOT_FOUND")
    try:
        contracts = _load(p)
    except (ValueError, OSError, TypeError, AttributeError) as exc:
        raise InputError(f"contracts {p}: {str(exc).splitlines()[0][:300]}", code="BAD_CONTRACT") from None
    if not contracts:
        raise InputError(f"no contract files (*.yaml) in {p}", code="NO_CONTRACTS")
    return contracts


def select_contracts(contracts: Sequence[Contract], scope: Scope, contract_id: str | None = None) -> list[Contract]:
    """The contracts a run may settle: those in the caller's scope, or the one asked for."""
    visible = [c for c in contracts if can_see(scope, c.provider, c.commissioner)]
    if contract_id is not None:
        chosen = [c for c in visible if c.contract_id == contract_id]
        if not chosen:
            known = ", ".join(c.contract_id for c in visible) or "none"
            raise InputError(f"unknown contract {contract_id!r}; known contracts: {known}", code="UNKNOWN_CONTRACT")
        return chosen
    if not visible:
        raise NotFound("no contracts within your scope")
    return visible


def can_see(scope: Scope, provider: str | None, commissioner: str | None) -> bool:
    return scope.allows_organisation(provider) or scope.allows_organisation(commissioner)


def bundle_for(contracts: Sequence[Contract], start: date, end: date, *, activity: ActivityBundle | None = None,
               records_db: str | None = None, indicators: str | Path | None = None) -> ActivityBundle:
    """The activity and indicator results to settle [start, end) with.

    ``activity`` (already loaded) or ``records_db`` gives the activity;
    ``indicators`` (a file) or, failing that, ``records_db`` gives the indicator results.
    """
    from openpbr.outcomes.payment_feed import ContractKey, payment_results_from_records, read_payment_results

    if records_db is not None:
        from openpbr.db import require_database
        from openpbr.payment.records_source import bundle_from_records

        records_db = require_database(records_db)
        bundle = bundle_from_records(records_db, start, end)
    elif activity is not None:
        bundle = activity
    else:
        raise InputError("no activity: give an activity folder or a records database", code="NO_ACTIVITY")
    if indicators is not None:
        bundle.indicator_results = read_payment_results(indicators)
    elif records_db is not None:
        keys = [ContractKey(c.contract_id, c.provider, c.commissioner) for c in contracts]
        bundle.indicator_results = payment_results_from_records(records_db, keys, start, end)
    bundle._digest = None  # the indicator results are part of the run's inputs
    return bundle


# ---------------------------------------------------------------- results


@dataclass(frozen=True)
class CoverageGap:
    contract_id: str
    code: str
    description: str


@dataclass
class SettleResult:
    run: SettlementRun
    stored_id: int | None = None
    created: bool = False  # a new row was written (False: the same inputs were already stored)
    superseded: list[str] = field(default_factory=list)  # run keys this run superseded

    @property
    def gaps(self) -> list[CoverageGap]:
        """Contracts with nothing (or less than the window) to settle, as named codes."""
        return [CoverageGap(st.contract_id, ln.code.value, ln.description)
                for st in self.run.statements for ln in st.lines if ln.code.is_coverage_gap]


@dataclass(frozen=True)
class ReconcileRow:
    contract_id: str
    commissioner: str
    provider: str
    invoiced: int  # pence, from the stored live runs
    now_due: int  # pence, the whole period settled on today's data
    missing_months: tuple[str, ...]  # months with no stored live run (NO_STORED_RUN)

    @property
    def difference(self) -> int:
        return self.now_due - self.invoiced


@dataclass
class ReconcileResult:
    run: SettlementRun
    rows: list[ReconcileRow]
    stored_id: int | None = None


@dataclass(frozen=True)
class RunSummary:
    id: int
    run_key: str
    kind: str
    mode: str
    period_start: date
    period_end: date
    total_pence: int  # of the statements the caller may see
    created_at: object
    superseded_by: str | None
    supersedes: tuple[str, ...]

    @property
    def live(self) -> bool:
        return self.superseded_by is None


# ---------------------------------------------------------------- use cases


def _pair(line) -> tuple[str | None, str | None]:
    inputs = line.trace.get("inputs", {}) if isinstance(line.trace, dict) else {}
    return inputs.get("provider"), inputs.get("commissioner")


def _scoped(run: SettlementRun, scope: Scope, only: Sequence[Contract] | None = None) -> SettlementRun:
    """The run as the caller may see it: their contracts, and only their pairs' non-contract activity.

    ``only``: a run limited to some contracts shows non-contract activity of their pairs only
    (other pairs' activity belongs to contracts not settled in this run, not to no contract).
    """
    pairs = None if only is None else {(c.provider, c.commissioner) for c in only}
    if scope.all_organisations and pairs is None:
        return run
    lines = [ln for ln in run.exceptions.lines
             if can_see(scope, *_pair(ln)) and (pairs is None or _pair(ln)[0] is None or _pair(ln) in pairs)]
    exceptions = Statement(NON_CONTRACT, "", "", run.exceptions.period_start, run.exceptions.period_end, lines, 0,
                           kind="exceptions")
    keep = [s for s in run.statements if can_see(scope, s.provider, s.commissioner)]
    adj = [s for s in run.adjustments if can_see(scope, s.provider, s.commissioner)]
    return SettlementRun(run.run_key, run.window, run.mode, keep, exceptions, run.details, run.inputs, run.kind, adj)


def settle_window(contracts: Sequence[Contract], bundle: ActivityBundle, start: date, end: date, *, scope: Scope,
                  mode: str = "live", contract_id: str | None = None) -> SettlementRun:
    """Settle the contracts in scope (or one) for [start, end); nothing is stored."""
    from openpbr.payment.settle import settle

    check_mode(mode)
    check_window(start, end)
    chosen = select_contracts(contracts, scope, contract_id)
    return _scoped(settle(chosen, bundle, start, end, mode), scope, chosen if contract_id else None)


def settle_and_store(db: Db, contracts: Sequence[Contract], bundle: ActivityBundle, start: date, end: date, *,
                     scope: Scope, mode: str = "live", contract_id: str | None = None) -> SettleResult:
    """Settle [start, end) and store it; a window already stored with other inputs is restated.

    Same inputs as the live run: nothing changes (same key, no new row).
    Changed inputs (a late record): a new live run supersedes the live runs of the
    same window whose contracts it covers, and carries ADJUSTMENT_PRIOR_RUN lines
    per contract against what they stored. The superseded runs are kept.
    """
    from openpbr.payment import store
    from openpbr.payment.settle import with_adjustments

    run = settle_window(contracts, bundle, start, end, scope=scope, mode=mode, contract_id=contract_id)
    ids = {st.contract_id for st in run.statements}
    if isinstance(db, str):
        store.init_db(db)
    live = store.live_runs(db, mode, start, end)
    for r in live:
        if r["basis_key"] == run.basis_key and set(r["contracts"]) == ids:
            return SettleResult(run, r["id"], False, [])  # same inputs already live: re-running changes nothing
    # superseded: the live runs of this window that the new run restates in full
    supersede = sorted(r["run_key"] for r in live if r["contracts"] and set(r["contracts"]) <= ids)
    # adjusted against: per contract, the newest live statement stored for this window
    before = {cid: rows[-1] for cid, rows in store.invoiced(db, mode, start, end, ids, exact=True).items() if rows}
    if supersede or before:
        run = with_adjustments(run, before, supersede)
    rid, created = store.save_run(db, run)
    return SettleResult(run, rid, created, supersede if created else [])


def reconcile_period(db: Db, contracts: Sequence[Contract], bundle: ActivityBundle, start: date, end: date, *,
                     scope: Scope, mode: str = "live", contract_id: str | None = None,
                     save: bool = False) -> ReconcileResult:
    """Compare what the stored live runs invoiced in [start, end) with what is due on today's data."""
    from openpbr.payment import store
    from openpbr.payment.settle import reconcile_with

    check_mode(mode)
    check_window(start, end)
    chosen = select_contracts(contracts, scope, contract_id)
    invoiced = store.invoiced(db, mode, start, end, [c.contract_id for c in chosen])
    run = _scoped(reconcile_with(chosen, bundle, start, end, invoiced, mode), scope, chosen if contract_id else None)
    rows = []
    for st in run.statements:
        inv = sum(i.total for i in invoiced.get(st.contract_id, []))
        diff = sum(ln.amount for ln in st.lines if ln.code == PayCode.RECONCILIATION)
        missing = next((tuple(ln.trace["inputs"]["months"]) for ln in st.lines if ln.code == PayCode.NO_STORED_RUN), ())
        rows.append(ReconcileRow(st.contract_id, st.commissioner, st.provider, inv, inv + diff, missing))
    stored_id = store.save_run(db, run)[0] if save else None
    return ReconcileResult(run, rows, stored_id)


def list_runs(db: Db, scope: Scope) -> list[RunSummary]:
    """Stored runs the caller may see (a run shows the total of the caller's statements only)."""
    from openpbr.payment import store

    if scope.reads_nothing:
        return []
    out = []
    for r in store.list_runs(db):
        total = r["total_pence"]
        if not scope.all_organisations:
            sts = [s for s in store.load_statements(db, r["run_key"])
                   if s["kind"] != "exceptions" and can_see(scope, s["provider"], s["commissioner"])]
            if not sts:
                continue
            total = sum(s["total_pence"] for s in sts if s["kind"] == r["kind"])
        out.append(RunSummary(r["id"], r["run_key"], r["kind"], r["mode"], r["period_start"], r["period_end"], total,
                              r["created_at"], r["superseded_by"], tuple(filter(None, (r["supersedes"] or "").split(",")))))
    return out


def run_statements(db: Db, run_key: str, scope: Scope) -> list[dict]:
    """A stored run's statements with their lines and traces, as far as the caller may see them."""
    from openpbr.payment import store

    sts = store.load_statements(db, run_key)
    if scope.all_organisations:
        return sts
    out = []
    for s in sts:
        if s["kind"] == "exceptions":
            lines = [ln for ln in s["lines"] if can_see(scope, ln["trace"].get("inputs", {}).get("provider"),
                                                         ln["trace"].get("inputs", {}).get("commissioner"))]
            if lines:
                out.append({**s, "lines": lines})
        elif can_see(scope, s["provider"], s["commissioner"]):
            out.append(s)
    if not out:
        raise NotFound(f"no stored run {run_key!r}")
    return out


@dataclass
class WhatIfResult:
    models: list[dict]  # per month: pence per payment model
    price_change: list[dict]  # per month: current, new, change (pence)


def what_if(bundle: ActivityBundle, provider: str, commissioner: str, start: date, end: date, *, scope: Scope,
            block_annual: str, capitation_rate: str, new_prices: str,
            prices: str = "payment_cluster_prices_demo") -> WhatIfResult:
    """The same activity under block, cluster tariff and capitation; and a price change (shadow mode)."""
    from decimal import Decimal, InvalidOperation

    from openpbr.payment import whatif

    check_window(start, end)
    if not can_see(scope, provider, commissioner):
        raise NotFound(f"no contract pair {provider}/{commissioner} within your scope")
    for name, value in (("block", block_annual), ("capitation", capitation_rate)):
        try:
            Decimal(value)
        except InvalidOperation:
            raise InputError(f"--{name} {value!r} is not an amount in pounds (e.g. 9000000.00)") from None
    load_schedule(new_prices)
    rows = whatif.compare_models(bundle, provider, commissioner, start, end, block_annual, capitation_rate, prices)
    base = whatif.scenario_contract("cluster per day", whatif.SCENARIOS["cluster per day"].format(prices=prices),
                                    provider, commissioner, start, end)
    return WhatIfResult(rows, whatif.price_change(bundle, base, start, end, new_prices))


def load_schedule(name: str):
    """A price schedule by shipped name or file; an unknown name is an InputError listing the shipped ones."""
    from openpbr.payment.prices import load_schedule as _load
    from openpbr.reference import builtin_path

    try:
        return _load(name)
    except FileNotFoundError:
        shipped = sorted(p.stem for p in builtin_path("reference").glob("payment_*.yaml"))
        raise InputError(f"unknown price schedule {name!r}; shipped schedules: {', '.join(shipped)}",
                         code="UNKNOWN_SCHEDULE") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"price schedule {name}: {str(exc).splitlines()[0][:200]}", code="BAD_SCHEDULE") from None


__all__ = ["SettleResult", "ReconcileResult", "ReconcileRow", "RunSummary", "WhatIfResult", "CoverageGap",
           "settle_window", "settle_and_store", "reconcile_period", "list_runs", "run_statements", "what_if",
           "bundle_for", "load_contracts", "select_contracts", "load_schedule", "check_mode"]
