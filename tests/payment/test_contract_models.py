"""Worked examples: block, outcome-based, CQUIN, risk share, capitation, personal budgets."""

from __future__ import annotations

import pyarrow as pa

from .helpers import amounts, contract, periods, run, schedule, table

PRICES = '  - {key: "11", valid_from: 2024-04-01, value: {per_day: "100.00", per_period: "36500.00"}}\n'


def test_block_daily_and_monthly():
    # £365,000/yr: daily accrual in a 365-day contract year = £1,000/day -> May £31,000.00
    # monthly accrual = £365,000 / 12 = £30,416.666.. : cumulative rounding, April £30,416.67, May £30,416.66
    daily = contract('- {type: block, annual_value: "365000.00"}', cid="D", valid_from="2025-04-01", valid_to="2026-04-01")
    monthly = contract('- {type: block, annual_value: "365000.00", accrual: monthly}', cid="M",
                       valid_from="2025-04-01", valid_to="2026-04-01")
    assert run([daily], "2025-05-01", "2025-06-01").statement("D").total == 3100000
    apr = run([monthly], "2025-04-01", "2025-05-01").statement("M").total
    may = run([monthly], "2025-05-01", "2025-06-01").statement("M").total
    year = run([monthly], "2025-04-01", "2026-04-01").statement("M").total
    assert (apr, may, year) == (3041667, 3041666, 36500000)


def test_outcome_share_partly_earned():
    # Work Choice style: £365,000/yr (365-day year), 70% service fee, 30% on results; June = 30 days.
    #   service fee: 365,000 x 0.70 x 30/365 = £21,000.00
    #   results pot: 365,000 x 0.30 x 30/365 = £9,000.00
    #   job outcomes: actual 0.15 vs target 0.30, graded -> score 0.5, weight 2
    #   sustained:    actual 0.25 vs target 0.20 -> score 1 (capped), weight 1
    #   weighted score = (2 x 0.5 + 1 x 1) / 3 = 2/3 -> earned £6,000.00 of £9,000.00
    c = contract("""
- type: outcome
  variant: share
  annual_value: "365000.00"
  indicators:
    - {indicator: job, weight: "2", target: "0.30"}
    - {indicator: sustained, weight: "1", target: "0.20"}
""", valid_from="2025-04-01", valid_to="2026-04-01")
    res = table(contract_id=["C1", "C1"], indicator=["job", "sustained"], value=["0.15", "0.25"])
    st = run([c], "2025-06-01", "2025-07-01", indicator_results=res).statement("C1")
    assert amounts(st) == {"outcome.service_fee": 2100000, "outcome.results_share": 600000}


def test_social_value_weighting_makes_parking_high_need_people_cost_more():
    # need weights high 3, standard 1; target rate 0.5.
    # Provider A helps 10/10 standard, 0/10 high: weighted rate = 10 / (10 + 30) = 0.25 -> score 0.5
    # Provider B helps 5/10 standard, 5/10 high:  weighted rate = (5 + 15) / 40 = 0.5  -> score 1
    # Same unweighted result (10 of 20) but B, serving the greatest needs, earns the whole results share.
    tmpl = """
- type: outcome
  variant: share
  annual_value: "365000.00"
  service_fee_pct: "0"
  need_weights: {{high: "3", standard: "1"}}
  indicators: [{{indicator: job, target: "0.5"}}]
"""
    a = contract(tmpl.format(), cid="A", provider="PA", valid_from="2025-04-01", valid_to="2026-04-01")
    b = contract(tmpl.format(), cid="B", provider="PB", valid_from="2025-04-01", valid_to="2026-04-01")
    res = pa.table({"contract_id": ["A", "A", "B", "B"], "indicator": ["job"] * 4,
                    "need_group": ["standard", "high", "standard", "high"],
                    "achieved": [10, 0, 5, 5], "eligible": [10, 10, 10, 10]})
    r = run([a, b], "2025-04-01", "2026-04-01", indicator_results=res)
    assert r.statement("A").total == 18250000  # half of £365,000
    assert r.statement("B").total == 36500000


def test_withhold_and_cquin_on_actual_annual_value(tmp_path):
    # activity: cluster 11 at £100/day x 30 days (June) = £3,000.00
    # withhold 3%: -£90.00; indicator 0.80 vs target 0.90 graded -> 8/9 earned back: £80.00
    # CQUIN 2.5% of AAV; AAV = 3,000 - 90 (after withholds, excluding incentive payments) = £2,910.00
    #   goal met 100% -> £72.75
    s = schedule(tmp_path, PRICES)
    c = contract(f"""
- {{type: cluster_activity, price_schedule: {s}}}
- {{type: outcome, variant: withhold, at_risk_pct: "3", indicators: [{{indicator: rp, target: "0.90"}}]}}
- {{type: cquin, pct: "2.5", goals: [{{indicator: wellbeing, target: "1"}}]}}
""")
    res = table(contract_id=["C1", "C1"], indicator=["rp", "wellbeing"], value=["0.80", "1"])
    cp = periods(("p1", "P1", "CCG1", "11", "2024-06-01", None))
    st = run([c], "2024-06-01", "2024-07-01", cluster_periods=cp, indicator_results=res).statement("C1")
    assert amounts(st) == {"cluster.per_day": 300000, "outcome.withhold": -9000, "outcome.earned": 8000,
                           "cquin.earned": 7275}
    assert st.total == 300000 - 9000 + 8000 + 7275


def test_bonus_variant_and_missing_result_scores_zero(tmp_path):
    # bonus 2% of £3,000 = £60 pot; two equal indicators, one met, one with no result: 50% -> £30.00
    s = schedule(tmp_path, PRICES)
    c = contract(f"""
- {{type: cluster_activity, price_schedule: {s}}}
- {{type: outcome, variant: bonus, at_risk_pct: "2", indicators: [{{indicator: a}}, {{indicator: b}}]}}
""")
    cp = periods(("p1", "P1", "CCG1", "11", "2024-06-01", None))
    st = run([c], "2024-06-01", "2024-07-01", cluster_periods=cp,
             indicator_results=table(contract_id=["C1"], indicator=["a"], value=["1"])).statement("C1")
    earned = [ln for ln in st.lines if ln.rule == "outcome.earned"][0]
    assert earned.amount == 3000
    assert earned.trace["inputs"]["indicators"][1]["result"] == "none supplied"


def _risk(tmp_path, people: int, extra: str):
    s = schedule(tmp_path, PRICES)
    c = contract(f"- {{type: cluster_activity, price_schedule: {s}}}\n"
                 f"- {{type: risk_share, baseline_annual: \"365000.00\", rate_above: \"0.30\"{extra}}}",
                 valid_from="2025-04-01", valid_to="2026-04-01")
    cp = periods(*[(f"p{i}", "P1", "CCG1", "11", "2025-06-01", None) for i in range(people)])
    return run([c], "2025-06-01", "2025-07-01", cluster_periods=cp).statement("C1")


def test_risk_share_marginal_rate_above_baseline(tmp_path):
    # June baseline = 365,000 x 30/365 = £30,000. 15 people x 30 days x £100 = £45,000 activity.
    # above baseline £15,000 paid at 30%: adjustment -15,000 x 0.70 = -£10,500 -> paid £34,500
    st = _risk(tmp_path, 15, "")
    assert amounts(st) == {"cluster.per_day": 4500000, "risk_share.marginal_above": -1050000}


def test_risk_share_cap_that_bites(tmp_path):
    # as above but cap £396,000/yr -> June cap 396,000 x 30/365 = £32,547.945..:
    # paid after sharing £34,500 > cap: cap adjustment = 32,547.945 - 34,500 = -£1,952.05
    st = _risk(tmp_path, 15, ', cap_annual: "396000.00"')
    a = amounts(st)
    assert a["risk_share.cap"] == -195205
    assert st.total == 4500000 - 1050000 - 195205  # £32,547.95 = the cap, to the penny


def test_risk_share_below_baseline_and_collar(tmp_path):
    # 5 people: activity £15,000 vs baseline £30,000; provider bears 100% below (rate_below 1) -> no sharing;
    # collar £292,000/yr -> June £24,000.00: collar adjustment +£9,000.00
    st = _risk(tmp_path, 5, ', collar_annual: "292000.00"')
    assert amounts(st) == {"cluster.per_day": 1500000, "risk_share.collar": 900000}


def test_capitation_with_risk_adjustment():
    # £3,650 per person-year (365-day year) = £10/day. June: standard 30 days = £300.00;
    # high risk weight 1.6 -> £480.00; a person who joins 16 June (15 days) standard -> £150.00
    c = contract('- {type: capitation, annual_rate: "3650.00", risk_weights: {standard: "1.0", high: "1.6"}}',
                 valid_from="2025-04-01", valid_to="2026-04-01")
    pop = table(person_id=["a", "b", "c"], provider=["P1"] * 3, commissioner=["CCG1"] * 3,
                risk_group=["standard", "high", "standard"], start_date=["2025-04-01", "2025-04-01", "2025-06-16"],
                end_date=[None, None, None])
    st = run([c], "2025-06-01", "2025-07-01", population=pop).statement("C1")
    assert sorted(ln.amount for ln in st.lines) == [45000, 48000]


def test_personal_budget_deducted_so_nothing_is_paid_twice():
    # block £365,000/yr (£1,000/day); a personal health budget of £7,300/yr (£20/day) held from 11 June:
    # June deduction 20 days x £20 = -£400.00
    c = contract('- {type: block, annual_value: "365000.00"}\n- {type: personal_budgets}',
                 valid_from="2025-04-01", valid_to="2026-04-01")
    phb = table(person_id=["a"], provider=["P1"], commissioner=["CCG1"], start_date=["2025-06-11"], end_date=[None],
                annual_value=["7300.00"])
    st = run([c], "2025-06-01", "2025-07-01", personal_budgets=phb).statement("C1")
    assert amounts(st) == {"block.daily": 3000000, "personal_budget.deduct": -40000}
