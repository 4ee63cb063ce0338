"""Settlement runs: payments on account, reconciliation, non-contract activity, run keys."""

from __future__ import annotations

from datetime import date

from openpbr.payment.codes import PayCode
from openpbr.payment.contracts import demo_contracts_dir, load_contracts
from openpbr.payment.settle import month_windows, reconcile, settle
from openpbr.payment.synthetic import synthetic_bundle

from .helpers import contract, periods, run, schedule

PRICES = '  - {key: "11", valid_from: 2024-04-01, value: {per_day: "100.00", per_period: "36500.00"}}\n'


def test_payments_on_account_and_balance():
    # plan £120,000/yr on account: £10,000 a month. Block £132,000/yr, monthly: £11,000 -> balance +£1,000
    c = contract('- {type: block, annual_value: "132000.00", accrual: monthly}',
                 extra='payments_on_account: {annual: "120000.00"}\n')
    st = run([c], "2024-05-01", "2024-06-01").statement("C1")
    assert (st.total, st.on_account, st.balance) == (1100000, 1000000, 100000)


def test_year_end_reconciliation_reapplies_annual_thresholds(tmp_path):
    # risk share is non-linear: months settled on pro-rata baselines, the year on the annual baseline.
    # Activity only in June-July (£100/day x 61 days = £6,100); baseline £18,250/yr (£50/day), rate above 30%.
    # Monthly: June £3,000 vs baseline £1,500: -(1,500 x 0.7) = -£1,050; July £3,100 vs £1,550: -£1,085.
    # Year: £6,100 is below the £18,250 baseline: no sharing. Reconciliation gives back +£2,135.
    s = schedule(tmp_path, PRICES)
    c = contract(f"- {{type: cluster_activity, price_schedule: {s}}}\n"
                 f"- {{type: risk_share, baseline_annual: \"18250.00\"}}", valid_from="2025-04-01",
                 valid_to="2026-04-01")
    from openpbr.payment.activity import ActivityBundle

    b = ActivityBundle(cluster_periods=periods(("p", "P1", "CCG1", "11", "2025-06-01", "2025-08-01")))
    months = [settle([c], b, m0, m1) for m0, m1 in month_windows(date(2025, 4, 1), date(2026, 4, 1))]
    assert sum(r.statement("C1").total for r in months) == 610000 - 213500
    rec = reconcile([c], b, date(2025, 4, 1), date(2026, 4, 1), months)
    lines = {ln.model: ln.amount for ln in rec.statement("C1").lines}
    assert lines == {"cluster_activity": 0, "risk_share": 213500}
    assert all(ln.code is PayCode.RECONCILIATION for ln in rec.statement("C1").lines)


def test_in_year_reconciliation_of_linear_models_is_zero():
    cs = load_contracts(demo_contracts_dir())
    b = synthetic_bundle(300, ["RDEMO"], ["ICB-A", "ICB-B", "ICB-C", "ICB-E"], date(2024, 4, 1), date(2025, 4, 1))
    months = [settle(cs, b, a, z) for a, z in month_windows(date(2024, 4, 1), date(2024, 7, 1))]
    rec = reconcile(cs, b, date(2024, 4, 1), date(2024, 7, 1), months)
    for st in rec.statements:
        for ln in st.lines:
            if ln.model in ("block", "cluster_activity", "capitation", "personal_budgets"):
                assert ln.amount == 0, (st.contract_id, ln.model, ln.amount)


def test_activity_without_a_contract_is_reported():
    c = contract('- {type: block, annual_value: "1000.00"}')
    r = run([c], "2024-05-01", "2024-06-01",
            cluster_periods=periods(("p", "P9", "CCG1", "11", "2024-05-01", None)))
    (ln,) = r.exceptions.lines
    assert ln.code is PayCode.NOT_COVERED_BY_CONTRACT and ln.quantity == 31


def test_run_key_is_keyed_by_inputs():
    c = contract('- {type: block, annual_value: "1000.00"}')
    a = run([c], "2024-05-01", "2024-06-01")
    assert run([c], "2024-05-01", "2024-06-01").run_key == a.run_key
    assert run([c], "2024-06-01", "2024-07-01").run_key != a.run_key
    c2 = contract('- {type: block, annual_value: "1001.00"}')
    assert run([c2], "2024-05-01", "2024-06-01").run_key != a.run_key


def test_demo_contracts_load_and_settle():
    cs = load_contracts(demo_contracts_dir())
    assert {m.type for c in cs for m in c.models} >= {"block", "cluster_activity", "acute_tariff", "outcome", "cquin",
                                                       "risk_share", "capitation", "personal_budgets"}
    b = synthetic_bundle(500, ["RDEMO"], ["ICB-A", "ICB-B", "ICB-C", "LA-D", "ICB-E"], date(2024, 4, 1),
                         date(2025, 4, 1), acute_provider="RACUTE", spells=200)
    r = settle(cs, b, date(2024, 5, 1), date(2024, 6, 1))
    assert len(r.statements) == len(cs)
    assert all(st.total == sum(ln.amount for ln in st.lines) for st in r.statements)
