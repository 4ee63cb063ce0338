"""Properties over random small trusts: rates in 0-1, numerator <= denominator,
units add up to the trust, every episode accounted for in the pairs."""

from datetime import date, timedelta

import numpy as np
import pyarrow.compute as pc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openpbr.outcomes.indicators import compute_indicators
from openpbr.outcomes.pairing import STATUSES, pair_outcomes
from openpbr.outcomes.scenario import Scenario

CLUSTERS = ["00", "01", "03", "04", "11", "12", "14", "18"]
BASE = date(2023, 1, 1)

episode = st.fixed_dictionaries({
    "start": st.integers(0, 500),
    "length": st.one_of(st.none(), st.integers(0, 400)),
    "team": st.sampled_from(["A-T1", "A-T2", "B-T1"]),
    "commissioner": st.sampled_from(["C1", "C2"]),
    "clusters": st.lists(st.tuples(st.sampled_from(CLUSTERS), st.integers(0, 200), st.one_of(st.none(), st.booleans())), max_size=3),
    "ratings": st.lists(st.tuples(st.integers(0, 450), st.lists(st.sampled_from([0, 1, 2, 3, 4, 9]), min_size=12, max_size=12)), max_size=4),
    "settled": st.one_of(st.none(), st.tuples(st.integers(0, 500), st.booleans())),
    "accepted": st.booleans(),
})


def build(eps):
    s = Scenario()
    for e in eps:
        ref = BASE + timedelta(days=e["start"])
        dis = None if e["length"] is None else ref + timedelta(days=e["length"])
        eid = s.episode(ref, dis, provider=e["team"][0], team=e["team"], commissioner=e["commissioner"], accepted=e["accepted"])
        day = ref
        for i, (c, gap, breach) in enumerate(e["clusters"]):
            start = day + timedelta(days=gap)
            if dis is not None and start > dis:
                break
            end = None
            if i + 1 < len(e["clusters"]):
                end = start + timedelta(days=e["clusters"][i + 1][1] + 1)
                if dis is not None and end > dis:
                    end = dis
            elif dis is not None:
                end = dis
            s.period(eid, c, start, end, breach=breach)
            day = end if end is not None else start
            if end is None or (dis is not None and end >= dis):
                break
        for off, items in e["ratings"]:
            s.assess(eid, ref + timedelta(days=off), items)
        if e["settled"]:
            s.accommodation_status(eid, ref + timedelta(days=e["settled"][0]), e["settled"][1])
    return s.build()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(episode, min_size=1, max_size=12))
def test_indicator_invariants(eps):
    inputs = build(eps)
    r = compute_indicators(inputs, date(2023, 6, 1), date(2024, 5, 31)).results
    num, den = np.array(r["numerator"].to_pylist()), np.array(r["denominator"].to_pylist())
    assert (num >= 0).all() and (num <= den).all()
    prop = r.filter(pc.is_in(r["indicator_id"], value_set=__import__("pyarrow").array(
        ["within_review_pct", "reviews_overdue", "variance_or_unclustered_share", "settled_accommodation",
         "red_rule_breach_rate", "paired_outcome_coverage", "reliable_improvement_rate", "reliable_deterioration_rate",
         "clinically_significant_improvement_rate"])))
    vals = [v for v in prop["value"].to_pylist() if v is not None]
    assert all(0.0 <= v <= 1.0 for v in vals)
    # every unit type partitions the trust: numerators and denominators add up
    g = r.group_by(["indicator_id", "period", "unit_type"]).aggregate([("numerator", "sum"), ("denominator", "sum")]).to_pylist()
    sums = {(x["indicator_id"], x["period"], x["unit_type"]): (x["numerator_sum"], x["denominator_sum"]) for x in g}
    for (ind, period, ut), v in sums.items():
        assert v == sums[(ind, period, "trust")], (ind, period, ut)


@settings(max_examples=40, deadline=None)
@given(st.lists(episode, min_size=1, max_size=12))
def test_every_episode_has_exactly_one_pair_row(eps):
    inputs = build(eps)
    p = pair_outcomes(inputs)
    assert p.table.num_rows == len(eps)
    assert sum(p.status_counts().values()) == len(eps)
    assert set(p.table["status"].to_pylist()) <= set(STATUSES)
    paired = np.array(p.table["paired"].to_pylist())
    imp = np.array(p.table["reliable_improvement"].to_pylist())
    det = np.array(p.table["reliable_deterioration"].to_pylist())
    assert not (imp & det).any() and not ((imp | det) & ~paired).any()
