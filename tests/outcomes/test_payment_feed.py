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
