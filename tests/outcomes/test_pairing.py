"""Paired outcomes: worked numbers for reliable and clinically significant change."""

import pyarrow.compute as pc
import pytest

from openpbr.outcomes.pairing import item_transitions, pair_outcomes
from openpbr.outcomes.scenario import Scenario


def row(pairs, episode_id):
    t = pairs.table.filter(pc.equal(pairs.table["episode_id"], episode_id))
    assert t.num_rows == 1
    return t.to_pylist()[0]


def test_every_episode_gets_a_row_and_unpaired_are_counted(march):
    p = pair_outcomes(march)
    assert p.table.num_rows == 11
    assert p.status_counts() == {"paired": 2, "no_assessment": 1, "single_assessment": 7, "not_computable": 1, "same_day": 0}


def test_reliable_and_clinically_significant_improvement(march):
    r = row(pair_outcomes(march), 5)
    assert (r["first_total"], r["latest_total"], r["improvement"]) == (20.0, 10.0, 10.0)
    assert r["reliable_improvement"] and not r["reliable_deterioration"]
    assert r["clinical_at_baseline"] and r["clinically_significant_improvement"]
    assert not r["severe"]


def test_severe_subgroup_uses_rci_7(march):
    r = row(pair_outcomes(march), 7)
    assert r["severe"]  # baseline cluster 12 is in the psychosis super class
    assert r["improvement"] == -7.0
    assert r["reliable_deterioration"]  # 7 >= 7 (would not be with the general RCI of 8)
    assert r["clinical_at_baseline"] and not r["clinically_significant_deterioration"]  # already >= 12 at baseline


def test_not_computable_second_rating(march):
    r = row(pair_outcomes(march), 8)
    assert r["status"] == "not_computable" and not r["paired"] and r["improvement"] is None
    assert r["baseline_total"] == 14.0


@pytest.mark.parametrize("first, latest, cluster, ri, rd, csi, csd", [
    (20, 12, "03", True, False, False, False),   # improvement 8 = RCI, but 12 is still >= cut-off 11
    (20, 10, "03", True, False, True, False),    # 8 points and leaves the clinical range
    (19, 12, "03", False, False, False, False),  # 7 < RCI 8
    (19, 12, "13", True, False, False, False),   # severe: 7 >= 7, but 12 is still >= severe cut-off 12
    (19, 11, "13", True, False, True, False),    # severe: 8 points and 11 < 12
    (10, 18, "03", False, True, False, True),    # 8 worse, from below 11 to >= 11
    (11, 19, "03", False, True, False, False),   # already clinical (11 >= 11) at baseline
    (4, 11, "13", False, True, False, False),    # severe: 7 worse, but 11 < 12 so not into the clinical range
])
def test_change_rule_table(first, latest, cluster, ri, rd, csi, csd):
    s = Scenario()
    e = s.episode("2024-01-01", "2024-06-30")
    s.period(e, cluster, "2024-01-02", "2024-06-30")
    s.assess(e, "2024-01-02", first)
    s.assess(e, "2024-06-30", latest)
    r = row(pair_outcomes(s.build()), e)
    assert (r["reliable_improvement"], r["reliable_deterioration"]) == (ri, rd)
    assert (r["clinically_significant_improvement"], r["clinically_significant_deterioration"]) == (csi, csd)


def test_same_day_ratings_are_not_a_pair():
    s = Scenario()
    e = s.episode("2024-01-01")
    s.assess(e, "2024-02-01", 20)
    s.assess(e, "2024-02-01", 10)
    r = row(pair_outcomes(s.build()), e)
    assert r["status"] == "same_day" and not r["paired"]


def test_first_and_latest_skip_uncomputable_ends():
    s = Scenario()
    e = s.episode("2024-01-01")
    s.assess(e, "2024-01-02", [9, 9, 9] + [4] * 9)  # not computable
    s.assess(e, "2024-02-01", 24)
    s.assess(e, "2024-03-01", 18)
    s.assess(e, "2024-04-01", 14)
    s.assess(e, "2024-05-01", [9] * 12)  # not computable
    r = row(pair_outcomes(s.build()), e)
    assert (r["first_total"], r["latest_total"], r["n_assessments"], r["n_computable"]) == (24.0, 14.0, 5, 3)


def test_cluster_period_basis_pairs_within_each_period():
    s = Scenario()
    e = s.episode("2024-01-01", "2024-12-31")
    s.period(e, "04", "2024-01-05", "2024-06-05")
    s.period(e, "03", "2024-06-05", "2024-12-31")
    s.assess(e, "2024-01-05", 24)
    s.assess(e, "2024-06-05", 16)   # ends period 1 and starts period 2
    s.assess(e, "2024-12-31", 6)
    p = pair_outcomes(s.build(), basis="cluster_period")
    rows = p.table.to_pylist()
    assert [(r["cluster"], r["first_total"], r["latest_total"]) for r in rows] == [("04", 24.0, 16.0), ("03", 16.0, 6.0)]
    assert [r["reliable_improvement"] for r in rows] == [True, True]


def test_item_transitions(march):
    t = item_transitions(pair_outcomes(march)).to_pylist()
    counts = {(r["item"], r["transition"]): r["count"] for r in t}
    assert counts[("item_01", "HL")] == 1 and counts[("item_01", "HH")] == 1
    assert counts[("item_04", "HL")] == 1 and counts[("item_04", "LH")] == 1
    assert counts[("item_12", "LL")] == 2
    assert sum(v for (i, _), v in counts.items() if i == "item_07") == 2


def test_item_transition_with_nine_is_unknown():
    s = Scenario()
    e = s.episode("2024-01-01")
    s.assess(e, "2024-01-02", [4] * 12)
    s.assess(e, "2024-03-02", [9] + [1] * 11)
    t = item_transitions(pair_outcomes(s.build())).to_pylist()
    counts = {(r["item"], r["transition"]): r["count"] for r in t}
    assert counts[("item_01", "unknown")] == 1 and counts[("item_02", "HL")] == 1


def test_proms_paired_when_present(march):
    r = row(pair_outcomes(march), 5)
    assert r["swemwbs_paired"] and r["swemwbs_improvement"] == 5.0 and r["swemwbs_reliable_improvement"]
    assert not row(pair_outcomes(march), 7)["swemwbs_paired"]
    assert not row(pair_outcomes(march), 5)["reqol_paired"]
