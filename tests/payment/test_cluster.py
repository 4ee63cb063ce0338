"""Worked examples: cluster activity per cluster day and per cluster period.

Prices used (test schedule, illustrative):

| cluster | per day | per period | review period |
|---------|---------|------------|---------------|
| 11      | £8.00   | £2,920.00  | 12 months     |
| 14      | £30.00  | £840.00    | 28 days       |
| 03      | £9.00   | £1,638.00  | 6 months      |
"""

from __future__ import annotations

from openpbr.payment.codes import PayCode

from .helpers import amounts, contract, periods, run, schedule, table

PRICES = """\
  - {key: "11", valid_from: 2024-04-01, value: {per_day: "8.00", per_period: "2920.00"}}
  - {key: "14", valid_from: 2024-04-01, value: {per_day: "30.00", per_period: "840.00"}}
  - {key: "03", valid_from: 2024-04-01, valid_to: 2024-05-16, value: {per_day: "9.00", per_period: "1638.00"}}
  - {key: "03", valid_from: 2024-05-16, value: {per_day: "10.00", per_period: "1820.00"}}
  - {key: assessment, valid_from: 2024-04-01, value: {per_unit: "250.00"}}
  - {key: inpatient_bed_day, valid_from: 2024-04-01, value: {per_unit: "334.00"}}
"""


def _cluster(tmp_path, unit="per_cluster_day", rule="pro_rata_days", weights="{}", provider="P1"):
    s = schedule(tmp_path, PRICES)
    return contract(f"- {{type: cluster_activity, unit: {unit}, transfer_rule: {rule}, price_schedule: {s}, "
                    f"need_weights: {weights}}}", cid=f"C-{provider}", provider=provider)


def test_per_day_whole_month(tmp_path):
    # cluster 11 all May: 31 days x £8.00 = £248.00
    c = _cluster(tmp_path)
    r = run([c], "2024-05-01", "2024-06-01", cluster_periods=periods(("p1", "P1", "CCG1", "11", "2024-01-10", None)))
    st = r.statement("C-P1")
    assert st.total == 31 * 800 == 24800
    assert st.lines[0].quantity == 31 and st.lines[0].code is PayCode.PRICED


def test_transfer_mid_month_per_day(tmp_path):
    # p1 moves from provider P1 to P2 on 11 May (cluster 11):
    #   P1: 1-10 May = 10 days x £8 = £80.00;  P2: 11-31 May = 21 days x £8 = £168.00
    c1, c2 = _cluster(tmp_path, provider="P1"), _cluster(tmp_path, provider="P2")
    cp = periods(("p1", "P1", "CCG1", "11", "2024-01-10", "2024-05-11"),
                 ("p1", "P2", "CCG1", "11", "2024-05-11", None))
    r = run([c1, c2], "2024-05-01", "2024-06-01", cluster_periods=cp)
    assert r.statement("C-P1").total == 8000
    assert r.statement("C-P2").total == 16800
    assert r.statement("C-P1").total + r.statement("C-P2").total == 31 * 800


def test_cluster_change_and_price_change_mid_month(tmp_path):
    # p1: cluster 14 (crisis) 1-7 May, then cluster 03 from 8 May; cluster 03 price rises on 16 May.
    #   cluster 14: 7 days x £30 = £210.00
    #   cluster 03: 8-15 May 8 days x £9 = £72.00; 16-31 May 16 days x £10 = £160.00
    #   total £442.00, three lines (one per price entry)
    c = _cluster(tmp_path)
    cp = periods(("p1", "P1", "CCG1", "14", "2024-05-01", "2024-05-08"), ("p1", "P1", "CCG1", "03", "2024-05-08", None))
    st = run([c], "2024-05-01", "2024-06-01", cluster_periods=cp).statement("C-P1")
    assert [(ln.quantity, ln.amount) for ln in st.lines] == [(8, 7200), (16, 16000), (7, 21000)]
    assert st.total == 44200


def test_need_weight_pays_more_for_greater_need(tmp_path):
    # cluster 11 for 30 days in June; high need weight 1.25: 30 x £8 x 1.25 = £300.00, standard £240.00
    c = _cluster(tmp_path, weights='{high: "1.25"}')
    cp = periods(("a", "P1", "CCG1", "11", "2024-06-01", None), ("b", "P1", "CCG1", "11", "2024-06-01", None),
                 need=["high", "standard"])
    st = run([c], "2024-06-01", "2024-07-01", cluster_periods=cp).statement("C-P1")
    assert sorted(ln.amount for ln in st.lines) == [24000, 30000]


def test_per_period_owner_transfer(tmp_path):
    # cluster 14 period owner: p1 starts 1 May with P1 (28-day period, £840), transfers to P2 on 15 May
    # where a new period starts. P1 is paid the whole period £840; P2 a new whole period £840.
    c1 = _cluster(tmp_path, unit="per_cluster_period", rule="period_owner", provider="P1")
    c2 = _cluster(tmp_path, unit="per_cluster_period", rule="period_owner", provider="P2")
    cp = periods(("p1", "P1", "CCG1", "14", "2024-05-01", "2024-05-15"), ("p1", "P2", "CCG1", "14", "2024-05-15", None))
    r = run([c1, c2], "2024-05-01", "2024-06-01", cluster_periods=cp)
    assert r.statement("C-P1").total == 84000
    # P2: period 15 May - 11 Jun starts in May: £840.00 (the next one, 12 Jun, is paid in June)
    assert r.statement("C-P2").total == 84000


def test_per_period_pro_rata_transfer(tmp_path):
    # cluster 14 pro rata: P1 holds 1-14 May = 14 of 28 days: £840 x 14/28 = £420.00
    # P2's period starts 15 May; by 31 May it holds 17 of 28 days: £840 x 17/28 = £510.00
    c1 = _cluster(tmp_path, unit="per_cluster_period", rule="pro_rata_days", provider="P1")
    c2 = _cluster(tmp_path, unit="per_cluster_period", rule="pro_rata_days", provider="P2")
    cp = periods(("p1", "P1", "CCG1", "14", "2024-05-01", "2024-05-15"), ("p1", "P2", "CCG1", "14", "2024-05-15", None))
    r = run([c1, c2], "2024-05-01", "2024-06-01", cluster_periods=cp)
    assert r.statement("C-P1").total == 42000
    assert r.statement("C-P2").total == 51000


def test_per_period_pro_rata_rounds_cumulatively(tmp_path):
    # cluster 11, 12-month period from 1 Apr 2024 (365 days), £2,920 = exactly £8/day;
    # cluster 03 6-month period from 1 Apr (183 days), £1,638: April = 30/183 x £1,638 = £268.5245.. -> £268.52
    # May cumulative 61/183 x 1638 = £546.00 -> May = £546.00 - £268.52 = £277.48
    c = _cluster(tmp_path, unit="per_cluster_period", rule="pro_rata_days")
    cp = periods(("p1", "P1", "CCG1", "03", "2024-04-01", None))
    apr = run([c], "2024-04-01", "2024-05-01", cluster_periods=cp).statement("C-P1").total
    may = run([c], "2024-05-01", "2024-06-01", cluster_periods=cp).statement("C-P1").total
    both = run([c], "2024-04-01", "2024-06-01", cluster_periods=cp).statement("C-P1").total
    assert (apr, may, both) == (26852, 27748, 54600)


def test_assessments_and_bed_days(tmp_path):
    # 2 initial assessments x £250 = £500; 5 bed days x £334 = £1,670
    c = _cluster(tmp_path)
    r = run([c], "2024-05-01", "2024-06-01",
            assessments=table(person_id=["a", "b"], provider=["P1", "P1"], commissioner=["CCG1", "CCG1"],
                              assessed_on=["2024-05-02", "2024-05-30"]),
            bed_days=table(person_id=["a"], provider=["P1"], commissioner=["CCG1"], start_date=["2024-05-27"],
                           end_date=["2024-06-05"]))
    assert amounts(r.statement("C-P1")) == {"cluster.assessment": 50000, "cluster.bed_day": 167000}


def test_unpriceable_is_named_never_a_silent_zero(tmp_path):
    # cluster 12 has no price; cluster 11 starts before its price (from 1 Apr 2024)
    c = _cluster(tmp_path)
    cp = periods(("p1", "P1", "CCG1", "12", "2024-03-01", None), ("p2", "P1", "CCG1", "11", "2024-03-25", None))
    st = run([c], "2024-03-25", "2024-04-05", cluster_periods=cp).statement("C-P1")
    codes = {ln.code for ln in st.lines}
    assert PayCode.UNKNOWN_CURRENCY in codes
    # contract starts 1 Apr, so the window is cut to 1-4 Apr: 4 days x £8
    assert st.total == 4 * 800


def test_draft_prices_are_not_paid_in_a_live_run(tmp_path):
    s = schedule(tmp_path, PRICES, status="Draft", name="draft")
    c = contract(f"- {{type: cluster_activity, price_schedule: {s}}}", cid="C-P1")
    cp = periods(("p1", "P1", "CCG1", "11", "2024-05-01", None))
    st = run([c], "2024-05-01", "2024-06-01", cluster_periods=cp).statement("C-P1")
    assert st.total == 0 and st.lines[0].code is PayCode.PRICE_NOT_LIVE


def test_shadow_prices_paid_in_shadow_runs_only(tmp_path):
    s = schedule(tmp_path, PRICES, status="Shadow", name="shadow")
    c = contract(f"- {{type: cluster_activity, price_schedule: {s}}}", cid="C-P1")
    cp = periods(("p1", "P1", "CCG1", "11", "2024-05-01", None))
    assert run([c], "2024-05-01", "2024-06-01", cluster_periods=cp).statement("C-P1").total == 0
    assert run([c], "2024-05-01", "2024-06-01", "shadow", cluster_periods=cp).statement("C-P1").total == 24800


def test_line_trace_names_rule_price_version_and_rounding(tmp_path):
    c = _cluster(tmp_path)
    ln = run([c], "2024-05-01", "2024-06-01",
             cluster_periods=periods(("p1", "P1", "CCG1", "11", "2024-05-01", None))).statement("C-P1").lines[0]
    assert ln.trace["rule"] == "cluster.per_day"
    assert "test.prices@1#" in ln.trace["prices"][0] and "[D] provisional" in ln.trace["prices"][0]
    assert "half-up" in ln.trace["rounding"] and ln.trace["inputs"]["days"] == 31
