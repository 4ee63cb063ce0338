from datetime import date

import pytest
from sqlalchemy import func, select

from openpbr.db import session_scope
from openpbr.records import audit, process
from openpbr.records.careplans import check_transition
from openpbr.records.models import CarePackageAssignment, ClusterPeriod, Discharge, Review, Team

RATINGS = (0, 0, 0, 0, 0, 0, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0)
ORGS = dict(provider="RAA", commissioner="01A")

TRANSITIONS = [
    (None, "05", "initial"),
    ("03", "03", "same"),
    ("03", "04", "step_up"),
    ("03", "02", "step_down"),
    ("03", "18", "unexpected"),
    ("14", "11", "step_down"),
    ("00", "05", "step_up"),
    ("21", "01", "unexpected"),
]


@pytest.mark.parametrize("frm, to, kind", TRANSITIONS)
def test_transition_rules_spec_table(frm, to, kind):
    check = check_transition(frm, to, date(2023, 1, 1))
    assert check.kind == kind
    assert check.needs_reason == (kind == "unexpected")
    if frm is not None:
        assert check.provisional  # the transition rules are [U] reference data


def _assess(s, clust_id, on, reason="initial", ratings=RATINGS):
    su = process.person(s, "SU1")
    team = s.scalar(select(Team))
    return su, team, process.record_assessment(s, su, clust_id=clust_id, assessed_on=on, assessor="S1", reason=reason,
                                               ratings=ratings, item_08_type="B", team=team)


def _allocate(s, su, team, a, **kw):
    return process.allocate(s, su, a, chosen_by="S1", team=team, **ORGS, **kw)


def test_confirmed_suggestion_opens_period_with_review_due_and_package(one_person):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", date(2023, 1, 10))
        r = _allocate(s, su, team, a)
        assert r.period.chosen_cluster == r.suggestion.cluster and not r.overridden
        assert r.period.review_due == r.suggestion.review_due
        pkg = process.current_package(s, su)
        assert pkg.cluster == r.period.chosen_cluster and pkg.provisional
        assert s.scalar(select(CarePackageAssignment.package_key)) == pkg.key


def test_override_needs_a_reason(one_person):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", date(2023, 1, 10))
        other = "18" if process.suggestion_for(su, a, None).cluster != "18" else "19"
        with pytest.raises(process.ReasonRequired, match="needs a reason"):
            _allocate(s, su, team, a, chosen_cluster=other)
        r = _allocate(s, su, team, a, chosen_cluster=other, override_reason="known dementia diagnosis")
        assert r.overridden and r.period.override_reason == "known dementia diagnosis"
        actions = s.scalars(select(audit.AUDIT.c.action)).all()
        assert "override" in actions and "allocation" in actions


def test_move_outside_transition_rules_needs_a_reason(one_person):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", date(2023, 1, 10))
        _allocate(s, su, team, a, chosen_cluster="03", override_reason="clinical view")
        _, _, a2 = _assess(s, "A2", date(2023, 3, 1), reason="transition")
        with pytest.raises(process.ReasonRequired, match="outside the care transition rules"):
            _allocate(s, su, team, a2, chosen_cluster="18", override_reason="clinical view")
        r = _allocate(s, su, team, a2, chosen_cluster="18", override_reason="clinical view",
                      transition_reason="cognitive decline found")
        assert r.transition == "unexpected" and r.period.transition_reason == "cognitive decline found"


REVIEWS = [  # (first assessment, second assessment, late?) for cluster 03: 6 months
    (date(2023, 1, 10), date(2023, 7, 10), False),
    (date(2023, 1, 10), date(2023, 7, 11), True),
    (date(2023, 1, 10), date(2023, 2, 1), False),
    (date(2023, 8, 31), date(2024, 2, 29), False),
    (date(2023, 8, 31), date(2024, 3, 1), True),
]


@pytest.mark.parametrize("first, second, late", REVIEWS)
def test_reassessment_closes_period_and_records_review(one_person, first, second, late):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", first)
        _allocate(s, su, team, a, chosen_cluster="03", override_reason="clinical view")
        _, _, a2 = _assess(s, "A2", second, reason="review")
        _allocate(s, su, team, a2, chosen_cluster="03", override_reason="clinical view")
        closed = s.scalar(select(ClusterPeriod).where(ClusterPeriod.end_on.is_not(None)))
        assert closed.end_on == second
        review = s.scalar(select(Review))
        assert (review.reviewed_on, review.late, review.reviewed_by, review.outcome) == (second, late, "S1", "confirmed")
        assert s.scalar(select(func.count()).select_from(ClusterPeriod).where(ClusterPeriod.end_on.is_(None))) == 1


@pytest.mark.parametrize("cluster", ["01", "08", "14", "21", "00"])
def test_discharge_from_any_cluster(one_person, cluster):
    with session_scope(one_person) as s:
        su, team, a = _assess(s, "A1", date(2023, 1, 10))
        _allocate(s, su, team, a, chosen_cluster=cluster, override_reason="clinical view")
        process.discharge(s, su, on=date(2023, 2, 1), by="S1")
        d = s.scalar(select(Discharge))
        assert d.from_cluster == cluster and process.current_package(s, su) is None
        assert process.open_period(s, su.id) is None
        with pytest.raises(process.ProcessError):
            process.discharge(s, su, on=date(2023, 2, 2), by="S1")
    with one_person.connect() as c:
        assert audit.verify(c).ok
