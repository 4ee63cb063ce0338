"""Every shipped indicator, worked by hand on the March 2024 scenario (see conftest.py)."""

import json
from datetime import date

import pyarrow.compute as pc
import pytest

from openpbr.outcomes.definitions import load_definitions
from openpbr.outcomes.indicators import RESULT_SCHEMA, as_payment_inputs, compute_indicators

MARCH = (date(2024, 3, 1), date(2024, 3, 31))


@pytest.fixture(scope="module")
def results(march):
    return compute_indicators(march, *MARCH).results


def get(results, indicator, unit_type="trust", unit="all", period="2024-03"):
    t = results.filter(pc.and_(pc.and_(pc.equal(results["indicator_id"], indicator), pc.equal(results["unit_type"], unit_type)),
                               pc.and_(pc.equal(results["unit"], unit), pc.equal(results["period"], period))))
    assert t.num_rows == 1, (indicator, unit_type, unit, period, t.num_rows)
    r = t.to_pylist()[0]
    return r["numerator"], r["denominator"], r["value"]


# indicator, unit_type, unit, numerator, denominator, value
SPEC = [
    # caseload at 31 Mar: E1 E2 E3 E4 E9 E10 E11 (E5-E8 were discharged mid-month: not counted)
    ("clustered_people", "trust", "all", 6, 7, 6.0),
    ("clustered_people", "team", "P1-T1", 4, 4, 4.0),           # E1 E2 E9 E10
    ("clustered_people", "team", "P1-T2", 2, 3, 2.0),           # E4 E11; E3 unclustered
    ("clustered_people", "cluster", "04", 1, 1, 1.0),
    ("clustered_people", "cluster", "none", 0, 1, 0.0),         # E3
    ("clustered_people", "commissioner", "C2", 2, 3, 2.0),
    ("within_review_count", "trust", "all", 5, 6, 5.0),         # E2 overdue (cluster 01: 84 days from 1 Dec = 23 Feb)
    ("within_review_pct", "trust", "all", 5, 6, 5 / 6),
    ("within_review_pct", "cluster", "01", 0, 1, 0.0),
    ("reviews_overdue", "trust", "all", 1, 6, 1 / 6),
    ("variance_or_unclustered_share", "trust", "all", 2, 7, 2 / 7),  # E4 in 00, E3 unclustered
    ("settled_accommodation", "trust", "all", 1, 2, 0.5),       # E1 settled, E4 not; E2's record is > 12 months old
    ("red_rule_breach_rate", "trust", "all", 1, 2, 0.5),        # E9 breach, E10 none, E11 not checked (excluded)
    ("red_rule_breach_rate", "cluster", "05", 1, 1, 1.0),
    # closed in March: E5 E6 E7 E8; paired E5 E7
    ("paired_outcome_coverage", "trust", "all", 2, 4, 0.5),
    ("paired_outcome_coverage", "team", "P1-T2", 1, 3, 1 / 3),  # E6 single, E7 paired, E8 not computable
    ("reliable_improvement_rate", "trust", "all", 1, 2, 0.5),
    ("reliable_deterioration_rate", "trust", "all", 1, 2, 0.5),
    ("reliable_improvement_rate", "team", "P1-T1", 1, 1, 1.0),
    ("clinically_significant_improvement_rate", "trust", "all", 1, 2, 0.5),
]


@pytest.mark.parametrize("indicator, unit_type, unit, num, den, value", SPEC)
def test_spec_table(results, indicator, unit_type, unit, num, den, value):
    n, d, v = get(results, indicator, unit_type, unit)
    assert (n, d) == (num, den)
    assert v == pytest.approx(value)


def test_spec_covers_every_shipped_indicator():
    assert {d.id for d in load_definitions(date(2024, 3, 31))} == {row[0] for row in SPEC}


def test_february_caseload_still_holds_the_march_discharges(march):
    r = compute_indicators(march, date(2024, 2, 1), date(2024, 2, 29)).results
    # 29 Feb: E1 E2 E3 E4 E5 E6 E7 E8 open (E3 unclustered); overdue: E2 (due 23 Feb) and
    # E8 (cluster 02, 105 days from 5 Nov = 18 Feb)
    assert get(r, "clustered_people", period="2024-02")[:2] == (7, 8)
    assert get(r, "within_review_count", period="2024-02")[:2] == (5, 7)


def test_review_deadline_on_month_end_is_overdue():
    """ACC36: within review only when the deadline is after the period end."""
    from openpbr.outcomes.scenario import Scenario

    s = Scenario()
    e = s.episode("2024-01-01")
    s.period(e, "14", "2024-03-03", assessment_id=s.assess(e, "2024-03-03", 20))  # 28 days -> due 31 Mar
    e2 = s.episode("2024-01-01")
    s.period(e2, "14", "2024-03-04", assessment_id=s.assess(e2, "2024-03-04", 20))  # due 1 Apr
    r = compute_indicators(s.build(), *MARCH).results
    assert get(r, "within_review_count")[:2] == (1, 2)


def test_result_shape_and_trace(results):
    assert results.schema.equals(RESULT_SCHEMA)
    rows = as_payment_inputs(results)
    r = next(x for x in rows if x["indicator_id"] == "reliable_improvement_rate" and x["unit_type"] == "trust")
    trace = json.loads(r["trace"])
    assert r["definition_ref"].startswith("outcomes.indicators@") and r["definition_ref"].endswith(":reliable_improvement_rate")
    assert trace["rules"].startswith("outcomes.rules@")
    assert "not_known_handling" in trace["provisional_rules"]
    assert r["provisional"] is True  # built on [U] rules (9 handling, severe subgroup)
    assert trace["inputs"]["source"] == "scenario" and len(trace["inputs"]["fingerprint"]) == 16
    acc = next(x for x in rows if x["indicator_id"] == "within_review_pct" and x["unit_type"] == "trust")
    assert json.loads(acc["trace"])["review_periods"].startswith("mhct.review_periods@")
    assert acc["provisional"] is False and acc["low_is_good"] is False
