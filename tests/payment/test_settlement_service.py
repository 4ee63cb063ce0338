"""Settlement as a service: coverage codes, restating a window (supersede + adjustments),
reconciliation against the stored runs, scope. Hand-worked numbers, to the penny.

Prices (test schedule, as in test_cluster): cluster 11 at £8.00 per cluster day.
"""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from openpbr.access import Role, Scope
from openpbr.db import make_engine
from openpbr.errors import InputError, NotFound
from openpbr.payment.activity import ActivityBundle
from openpbr.payment.codes import PayCode
from openpbr.payment.models_db import PaymentRun
from openpbr.payment.settle import Invoiced, by_model, with_adjustments
from openpbr.payment.store import init_db, list_runs
from openpbr.services import settlement as svc

from .helpers import contract, periods, run, schedule

PRICES = '  - {key: "11", valid_from: 2024-04-01, value: {per_day: "8.00", per_period: "2920.00"}}\n'
OPERATOR = Scope.local_operator()
MAY = (date(2024, 5, 1), date(2024, 6, 1))


def _cluster_contract(tmp_path, cid="C1", provider="P1", commissioner="CCG1", **kw):
    s = schedule(tmp_path, PRICES)
    return contract(f"- {{type: cluster_activity, price_schedule: {s}}}", cid=cid, provider=provider,
                    commissioner=commissioner, **kw)


def _codes(st):
    return [(ln.code, ln.quantity, ln.amount) for ln in st.lines]


# ---------------------------------------------------------------- coverage: spec table

BLOCK = '- {type: block, annual_value: "36500.00"}'


@pytest.mark.parametrize("case, valid_from, valid_to, rows, expected, total", [
    # contract ends before the window: one visible line, nothing due
    ("ended", "2023-04-01", "2024-04-01", [("p", "P1", "CCG1", "11", "2024-05-01", None)],
     [(PayCode.CONTRACT_NOT_IN_FORCE, 0, 0)], 0),
    # contract starts after the window
    ("not yet", "2024-06-01", "2025-06-01", [("p", "P1", "CCG1", "11", "2024-05-01", None)],
     [(PayCode.CONTRACT_NOT_IN_FORCE, 0, 0)], 0),
    # activity only for another pair: the contract says it had none
    ("other pair", "2024-04-01", "2025-04-01", [("p", "P9", "CCG1", "11", "2024-05-01", None)],
     [(PayCode.NO_ACTIVITY_IN_WINDOW, 0, 0)], 0),
    # a period that ended before the window is no activity in it
    ("ended period", "2024-04-01", "2025-04-01", [("p", "P1", "CCG1", "11", "2024-04-02", "2024-04-20")],
     [(PayCode.NO_ACTIVITY_IN_WINDOW, 0, 0)], 0),
    # in force from 21 May: 11 of 31 days, 11 days x £8.00 = £88.00
    ("part", "2024-05-21", "2025-05-21", [("p", "P1", "CCG1", "11", "2024-05-01", None)],
     [(PayCode.CONTRACT_PART_IN_FORCE, 11, 0), (PayCode.PRICED, 11, 8800)], 8800),
    # the whole month: 31 x £8.00 = £248.00, no coverage line
    ("covered", "2024-04-01", "2025-04-01", [("p", "P1", "CCG1", "11", "2024-05-01", None)],
     [(PayCode.PRICED, 31, 24800)], 24800),
])
def test_coverage_codes(tmp_path, case, valid_from, valid_to, rows, expected, total):
    c = _cluster_contract(tmp_path, valid_from=valid_from, valid_to=valid_to)
    st = run([c], "2024-05-01", "2024-06-01", cluster_periods=periods(*rows)).statement("C1")
    assert _codes(st) == expected, case
    assert st.total == total


def test_block_contract_needs_no_activity_and_part_month_is_pro_rata():
    # £36,500 a year over a 365-day contract year is £100.00 a day; in force 15-31 May: 17 days = £1,700.00
    c = contract(BLOCK, valid_from="2024-05-15", valid_to="2025-05-15")
    st = run([c], "2024-05-01", "2024-06-01").statement("C1")
    assert [ln.code for ln in st.lines] == [PayCode.CONTRACT_PART_IN_FORCE, PayCode.PRICED]
    assert st.lines[0].quantity == 17 and st.total == 170000


def test_service_reports_gaps_and_limits_to_one_contract(tmp_path):
    c1 = _cluster_contract(tmp_path)
    c2 = _cluster_contract(tmp_path, cid="C2", provider="P2")
    b = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None)))
    res = svc.SettleResult(svc.settle_window([c1, c2], b, *MAY, scope=OPERATOR))
    assert [(g.contract_id, g.code) for g in res.gaps] == [("C2", "NO_ACTIVITY_IN_WINDOW")]
    one = svc.settle_window([c1, c2], b, *MAY, scope=OPERATOR, contract_id="C1")
    assert [s.contract_id for s in one.statements] == ["C1"] and one.total == 24800
    # C2's activity is not "non-contract" in a run limited to C1
    both = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None),
                                                  ("q", "P2", "CCG1", "11", "2024-05-01", None)))
    assert svc.settle_window([c1, c2], both, *MAY, scope=OPERATOR, contract_id="C1").exceptions.lines == []
    assert len(svc.settle_window([c1], both, *MAY, scope=OPERATOR).exceptions.lines) == 1
    with pytest.raises(InputError, match="unknown contract 'C9'; known contracts: C1, C2"):
        svc.settle_window([c1, c2], b, *MAY, scope=OPERATOR, contract_id="C9")
    with pytest.raises(InputError, match="unknown mode"):
        svc.settle_window([c1, c2], b, *MAY, scope=OPERATOR, mode="real")


def test_scope_sees_only_its_contracts(tmp_path):
    c1 = _cluster_contract(tmp_path)
    c2 = _cluster_contract(tmp_path, cid="C2", provider="P2", commissioner="CCG2")
    b = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None),
                                               ("q", "P2", "CCG2", "11", "2024-05-01", None),
                                               ("r", "P7", "CCG7", "11", "2024-05-01", None)))
    ccg1 = Scope("finance@ccg1", Role.COMMISSIONER, organisations=frozenset({"CCG1"}))
    r = svc.settle_window([c1, c2], b, *MAY, scope=ccg1)
    assert [s.contract_id for s in r.statements] == ["C1"]
    assert r.exceptions.lines == []  # P7/CCG7 non-contract activity is not theirs to see
    with pytest.raises(NotFound):
        svc.settle_window([c1, c2], b, *MAY, scope=Scope("nobody", Role.ANALYST))


# ---------------------------------------------------------------- restating a window


def _late(tmp_path):
    c = _cluster_contract(tmp_path)
    first = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None)))
    late = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None),
                                                  ("q", "P1", "CCG1", "11", "2024-05-21", None)))
    return c, first, late


def _run_rows(url):
    e = make_engine(url)
    try:
        with e.connect() as conn:
            return conn.execute(select(func.count()).select_from(PaymentRun)).scalar()
    finally:
        e.dispose()


def test_restating_a_window_supersedes_and_adjusts(db_url, tmp_path):
    init_db(db_url)
    c, first, late = _late(tmp_path)
    a = svc.settle_and_store(db_url, [c], first, *MAY, scope=OPERATOR)
    assert a.created and a.run.statement("C1").total == 24800 and a.run.adjustments == []

    # same inputs again: same key, no new row
    again = svc.settle_and_store(db_url, [c], _late(tmp_path)[1], *MAY, scope=OPERATOR)
    assert (again.run.run_key, again.created, _run_rows(db_url)) == (a.run.run_key, False, 1)

    # a late record: q from 21 May, 11 days x £8.00 = £88.00 more (£336.00 restated)
    b = svc.settle_and_store(db_url, [c], late, *MAY, scope=OPERATOR)
    assert b.created and b.superseded == [a.run.run_key]
    assert b.run.statement("C1").total == 33600
    [adj] = b.run.adjustments
    assert [(ln.code, ln.model, ln.amount) for ln in adj.lines] == [
        (PayCode.ADJUSTMENT_PRIOR_RUN, "cluster_activity", 8800)]
    assert adj.lines[0].trace["inputs"] == {"superseded_run": a.run.run_key, "stored_pence": 24800, "now_pence": 33600}
    runs = {r["run_key"]: r for r in list_runs(db_url)}
    assert runs[a.run.run_key]["superseded_by"] == b.run.run_key and runs[b.run.run_key]["superseded_by"] is None
    assert runs[b.run.run_key]["supersedes"] == a.run.run_key

    # the late record again: nothing changes
    assert not svc.settle_and_store(db_url, [c], _late(tmp_path)[2], *MAY, scope=OPERATOR).created
    assert _run_rows(db_url) == 2

    # the record withdrawn: back to £248.00, adjustment -£88.00 against the second run; the first stays superseded
    back = svc.settle_and_store(db_url, [c], _late(tmp_path)[1], *MAY, scope=OPERATOR)
    assert back.created and back.run.run_key != a.run.run_key and back.superseded == [b.run.run_key]
    assert [ln.amount for ln in back.run.adjustments[0].lines] == [-8800]
    live = [r for r in svc.list_runs(db_url, OPERATOR) if r.live]
    assert [r.run_key for r in live] == [back.run.run_key] and _run_rows(db_url) == 3


def test_unchanged_money_supersedes_without_adjustment_lines(db_url, tmp_path):
    init_db(db_url)
    c, first, _ = _late(tmp_path)
    a = svc.settle_and_store(db_url, [c], first, *MAY, scope=OPERATOR)
    # a record for another pair changes the inputs, not C1's money
    other = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None),
                                                   ("z", "P9", "CCG9", "11", "2024-05-01", None)))
    b = svc.settle_and_store(db_url, [c], other, *MAY, scope=OPERATOR)
    assert b.superseded == [a.run.run_key] and b.run.adjustments == []


# ---------------------------------------------------------------- reconciliation against stored runs

APRIL = (date(2024, 4, 1), date(2024, 5, 1))


def test_reconcile_compares_with_what_was_invoiced(db_url, tmp_path):
    init_db(db_url)
    c = _cluster_contract(tmp_path)
    base = [("p", "P1", "CCG1", "11", "2024-04-01", None)]
    invoiced = ActivityBundle(cluster_periods=periods(*base))
    for window in (APRIL, MAY):  # April £240.00 (30 days), May £248.00 (31 days): £488.00 invoiced
        svc.settle_and_store(db_url, [c], invoiced, *window, scope=OPERATOR)
    # late record: q 21 April to 10 May, 10 + 10 days x £8.00 = £160.00
    def today():
        return ActivityBundle(cluster_periods=periods(*base, ("q", "P1", "CCG1", "11", "2024-04-21", "2024-05-11")))

    res = svc.reconcile_period(db_url, [c], today(), date(2024, 4, 1), date(2024, 7, 1), scope=OPERATOR)
    [row] = res.rows
    # now due for April-June: p 91 days £728.00 + q £160.00 = £888.00; June was never settled
    assert (row.invoiced, row.now_due, row.difference, row.missing_months) == (48800, 88800, 40000, ("2024-06",))
    st = res.run.statement("C1")
    assert [(ln.code, ln.amount) for ln in st.lines] == [(PayCode.NO_STORED_RUN, 0), (PayCode.RECONCILIATION, 40000)]

    # April restated with the late record: reconciliation now reads the new live April run (£320.00)
    svc.settle_and_store(db_url, [c], today(), *APRIL, scope=OPERATOR)
    res = svc.reconcile_period(db_url, [c], today(), date(2024, 4, 1), date(2024, 6, 1), scope=OPERATOR, save=True)
    [row] = res.rows
    assert (row.invoiced, row.now_due, row.difference, row.missing_months) == (56800, 64800, 8000, ())
    assert res.stored_id is not None


def test_reconcile_with_nothing_stored_names_every_month(db_url, tmp_path):
    init_db(db_url)
    c = _cluster_contract(tmp_path)
    b = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-04-01", None)))
    [row] = svc.reconcile_period(db_url, [c], b, date(2024, 4, 1), date(2024, 6, 1), scope=OPERATOR).rows
    assert (row.invoiced, row.now_due, row.missing_months) == (0, 48800, ("2024-04", "2024-05"))


# ---------------------------------------------------------------- property: adjustments add up

_day = st.integers(min_value=0, max_value=40)


@given(first=st.lists(st.tuples(_day, st.integers(1, 40)), max_size=4),
       late=st.lists(st.tuples(_day, st.integers(1, 40)), min_size=1, max_size=3))
def test_adjustments_are_the_difference_of_restated_and_stored(tmp_path_factory, first, late):
    from datetime import timedelta

    c = _cluster_contract(tmp_path_factory.mktemp("p"))
    base = date(2024, 4, 20)

    def rows(spans):
        return [(f"p{i}", "P1", "CCG1", "11", (base + timedelta(s)).isoformat(), (base + timedelta(s + n)).isoformat())
                for i, (s, n) in enumerate(spans)]

    def settle(spans):
        return run([c], "2024-05-01", "2024-06-01", cluster_periods=periods(*rows(spans)) if spans else None)

    old, new = settle(first), settle(first + late)
    stored = Invoiced(old.run_key, *MAY, by_model(old.statement("C1")), 0)
    restated = with_adjustments(new, {"C1": stored})
    adj = sum(s.total for s in restated.adjustments)
    assert adj == new.statement("C1").total - old.statement("C1").total
    assert all(ln.code is PayCode.ADJUSTMENT_PRIOR_RUN and ln.amount for s in restated.adjustments for ln in s.lines)
    assert restated.run_key not in (old.run_key, new.run_key) and restated.basis_key == new.run_key


def test_two_restatements_of_one_window_cannot_both_win(db_url, tmp_path):
    from openpbr.errors import ConflictError
    from openpbr.payment.store import save_run

    init_db(db_url)
    c, first, late = _late(tmp_path)
    a = svc.settle_and_store(db_url, [c], first, *MAY, scope=OPERATOR)
    stored = Invoiced(a.run.run_key, *MAY, by_model(a.run.statement("C1")), 0)
    # two people restate May from the same live run at once, with different late records
    other = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None),
                                                   ("r", "P1", "CCG1", "11", "2024-05-30", None)))
    mine = with_adjustments(svc.settle_window([c], late, *MAY, scope=OPERATOR), {"C1": stored})
    theirs = with_adjustments(svc.settle_window([c], other, *MAY, scope=OPERATOR), {"C1": stored})
    assert save_run(db_url, theirs)[1]
    with pytest.raises(ConflictError):
        save_run(db_url, mine)
    assert _run_rows(db_url) == 2  # nothing of the loser was kept
    assert [r.run_key for r in svc.list_runs(db_url, OPERATOR) if r.live] == [theirs.run_key]


def test_stored_runs_read_through_scope(db_url, tmp_path):
    init_db(db_url)
    c1 = _cluster_contract(tmp_path)
    c2 = _cluster_contract(tmp_path, cid="C2", provider="P2", commissioner="CCG2")
    b = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2024-05-01", None),
                                               ("q", "P2", "CCG2", "11", "2024-05-21", None)))
    r = svc.settle_and_store(db_url, [c1, c2], b, *MAY, scope=OPERATOR)
    ccg2 = Scope("finance@ccg2", Role.COMMISSIONER, organisations=frozenset({"CCG2"}))
    [summary] = svc.list_runs(db_url, ccg2)
    assert summary.total_pence == 8800  # 11 days x £8.00: their statement only (the run's total is £336.00)
    assert [s["contract_id"] for s in svc.run_statements(db_url, r.run.run_key, ccg2)] == ["C2"]
    assert svc.list_runs(db_url, Scope("nobody", Role.ANALYST)) == []
    with pytest.raises(NotFound):
        svc.run_statements(db_url, r.run.run_key, Scope("p3", Role.PROVIDER_FINANCE, organisations=frozenset({"P3"})))
