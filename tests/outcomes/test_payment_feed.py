"""Indicator results feed the payment engine's outcome and CQUIN models, with their trace."""

import json
from datetime import date

from openpbr.outcomes.indicators import compute_indicators
from openpbr.outcomes.payment_feed import ContractKey, payment_indicator_results
from openpbr.outcomes.scenario import Scenario


def two_month_scenario():
    s = Scenario()
    # P1 with C1: Feb one paired episode improved (20 -> 10); Mar one paired, not improved (20 -> 18), one single rating
    for referred, dis, first, latest in (("2023-06-01", "2024-02-20", 20, 10), ("2023-07-01", "2024-03-10", 20, 18)):
        e = s.episode(referred, dis, provider="P1", commissioner="C1")
        s.period(e, "04", referred, dis)
        s.assess(e, referred, first)
        s.assess(e, dis, latest)
    e = s.episode("2023-08-01", "2024-03-15", provider="P1", commissioner="C1")
    s.assess(e, "2023-08-01", 20)
    e = s.episode("2023-08-01", "2024-03-15", provider="P2", commissioner="C1")  # another contract: not mixed in
    s.assess(e, "2023-08-01", 20)
    s.assess(e, "2024-03-15", 2)
    return s.build()


def test_results_summed_over_the_settlement_months():
    run = compute_indicators(two_month_scenario(), date(2024, 2, 1), date(2024, 3, 31))
    t = payment_indicator_results(run.results, [ContractKey("K1", "P1", "C1")], date(2024, 2, 1), date(2024, 3, 31),
                                  indicators=["reliable_improvement_rate", "paired_outcome_coverage"])
    rows = {r["indicator"]: r for r in t.to_pylist()}
    assert (rows["reliable_improvement_rate"]["achieved"], rows["reliable_improvement_rate"]["eligible"]) == (1, 2)
    assert rows["reliable_improvement_rate"]["value"] == "0.500000"
    assert (rows["paired_outcome_coverage"]["achieved"], rows["paired_outcome_coverage"]["eligible"]) == (2, 3)
    trace = json.loads(rows["paired_outcome_coverage"]["trace"])
    assert trace["periods"] == ["2024-02", "2024-03"] and trace["unit"] == "P1|C1"
    assert rows["paired_outcome_coverage"]["definition_ref"].endswith(":paired_outcome_coverage")
    assert set(t["contract_id"].to_pylist()) == {"K1"}


def test_payment_engine_reads_the_rows():
    from openpbr.payment.models.outcomes import indicator_value

    run = compute_indicators(two_month_scenario(), date(2024, 2, 1), date(2024, 3, 31))
    t = payment_indicator_results(run.results, [ContractKey("K1", "P1", "C1")], date(2024, 2, 1), date(2024, 3, 31),
                                  indicators=["reliable_improvement_rate"])
    value, info = indicator_value(t, {})
    assert float(value) == 0.5 and info["by_need_group"]["standard"]["eligible"] == 2


def test_need_group_split_lets_payments_weight_the_people_with_greatest_needs():
    from fractions import Fraction

    from openpbr.payment.models.outcomes import indicator_value

    s = Scenario()
    # one improved person in a high-need cluster (05), one not improved in a standard cluster (04)
    for cluster, first, latest, referred in (("05", 20, 10, "2023-06-01"), ("04", 20, 18, "2023-07-01")):
        e = s.episode(referred, "2024-03-10", provider="P1", commissioner="C1")
        s.period(e, cluster, referred, "2024-03-10")
        s.assess(e, referred, first)
        s.assess(e, "2024-03-10", latest)
    run = compute_indicators(s.build(), date(2024, 3, 1), date(2024, 3, 31))
    key = [ContractKey("K1", "P1", "C1")]
    pooled = payment_indicator_results(run.results, key, date(2024, 3, 1), date(2024, 3, 31), indicators=["reliable_improvement_rate"])
    split = payment_indicator_results(run.results, key, date(2024, 3, 1), date(2024, 3, 31), indicators=["reliable_improvement_rate"], by_need_group=True)
    groups = {r["need_group"]: (r["achieved"], r["eligible"]) for r in split.to_pylist()}
    assert groups == {"high": (1, 1), "standard": (0, 1)}
    assert sum(a for a, _ in groups.values()) == pooled["achieved"][0].as_py() and sum(e for _, e in groups.values()) == pooled["eligible"][0].as_py()
    assert indicator_value(split, {})[0] == indicator_value(pooled, {})[0] == Fraction(1, 2)  # unweighted: the same rate
    weighted, info = indicator_value(split, {"high": "2"})
    assert weighted == Fraction(2, 3)  # (2 x 1 + 0) / (2 x 1 + 1): improving high-need people is worth more
    assert info["by_need_group"]["high"]["social_value_weight"] == "2"
