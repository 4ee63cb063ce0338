"""Properties: totals are sums of lines; re-running changes nothing; splitting a period changes nothing
(for the models that are linear in time: per-day, per-period pro rata and owner, block, capitation,
personal budgets, acute spells)."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpbr.payment.activity import ActivityBundle
from openpbr.payment.settle import settle

from .helpers import contract

CLUSTERS = ["00", "01", "03", "11", "14", "15", "19"]
Y0 = date(2024, 4, 1)

period_rows = st.lists(
    st.tuples(st.sampled_from(["P1", "P2"]), st.sampled_from(CLUSTERS), st.integers(-400, 360), st.integers(1, 400),
              st.booleans(), st.sampled_from(["standard", "high"])),
    min_size=1, max_size=25)


def _bundle(rows) -> ActivityBundle:
    return ActivityBundle(
        cluster_periods=pa.table({
            "person_id": [f"p{i}" for i in range(len(rows))], "provider": [r[0] for r in rows],
            "commissioner": ["CCG1"] * len(rows), "cluster": [r[1] for r in rows],
            "start_date": pa.array([Y0 + timedelta(days=r[2]) for r in rows], type=pa.date32()),
            "end_date": pa.array([None if r[4] else Y0 + timedelta(days=r[2] + r[3]) for r in rows], type=pa.date32()),
            "need_group": [r[5] for r in rows]}),
        population=pa.table({
            "person_id": ["x", "y"], "provider": ["P1", "P1"], "commissioner": ["CCG1", "CCG1"],
            "risk_group": ["standard", "high"],
            "start_date": pa.array([Y0, Y0 + timedelta(days=40)], type=pa.date32()),
            "end_date": pa.array([None, Y0 + timedelta(days=200)], type=pa.date32())}),
    )


def _contracts():
    w = '{high: "1.37"}'
    return [
        contract(f"- {{type: cluster_activity, unit: per_cluster_day, need_weights: {w}}}\n"
                 '- {type: capitation, annual_rate: "1234.57", risk_weights: {high: "1.3"}}', cid="DAY", provider="P1"),
        contract(f"- {{type: cluster_activity, unit: per_cluster_period, transfer_rule: pro_rata_days, need_weights: {w}}}\n"
                 '- {type: block, annual_value: "1000000.01"}', cid="PRO", provider="P2"),
        contract("- {type: cluster_activity, unit: per_cluster_period, transfer_rule: period_owner}\n"
                 '- {type: block, annual_value: "777777.77", accrual: monthly}', cid="OWN", provider="P1",
                 commissioner="CCG1", valid_from="2024-04-01", valid_to="2025-04-01").model_copy(
            update={"contract_id": "OWN", "provider": "P2"}),
    ]


SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(rows=period_rows, a=st.integers(0, 300), length=st.integers(1, 65), cut=st.integers(1, 64))
def test_split_period_total_equals_whole(rows, a, length, cut):
    cut = min(cut, length - 1) if length > 1 else 0
    b = _bundle(rows)
    cs = _contracts()
    s, e = Y0 + timedelta(days=a), Y0 + timedelta(days=a + length)
    whole = settle(cs, b, s, e)
    if cut:
        m = s + timedelta(days=cut)
        first, second = settle(cs, b, s, m), settle(cs, b, m, e)
        for c in cs:
            assert first.statement(c.contract_id).total + second.statement(c.contract_id).total == \
                whole.statement(c.contract_id).total
    for stmt in whole.statements:
        assert stmt.total == sum(ln.amount for ln in stmt.lines)
        assert stmt.balance == stmt.total - stmt.on_account


@SETTINGS
@given(rows=period_rows, a=st.integers(0, 330))
def test_rerun_changes_nothing(rows, a):
    b = _bundle(rows)
    cs = _contracts()
    s, e = Y0 + timedelta(days=a), Y0 + timedelta(days=a + 31)
    r1, r2 = settle(cs, b, s, e), settle(cs, _bundle(rows), s, e)
    assert r1.run_key == r2.run_key
    assert [(x.contract_id, [(ln.rule, ln.amount, ln.trace) for ln in x.lines]) for x in r1.statements] == \
        [(x.contract_id, [(ln.rule, ln.amount, ln.trace) for ln in x.lines]) for x in r2.statements]


@SETTINGS
@given(rows=period_rows)
def test_transfer_between_providers_conserves_money_pro_rata(rows):
    # per day: moving a person's days from one provider to another never changes the commissioner's total
    one = [("P1", *r[1:]) for r in rows]
    split = [(("P1" if i % 2 else "P2"), *r[1:]) for i, r in enumerate(rows)]
    day = lambda p: contract("- {type: cluster_activity, unit: per_cluster_day}", cid=f"D{p}", provider=p)  # noqa: E731
    cs = [day("P1"), day("P2")]
    tot = lambda rr: settle(cs, _bundle(rr), Y0, date(2025, 4, 1)).total  # noqa: E731
    assert tot(one) == tot(split)
