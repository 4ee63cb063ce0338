from datetime import date

import pytest
from sqlalchemy import select

from openpbr.db import ConflictError, session_scope
from openpbr.records import process
from openpbr.records.models import ClusterPeriod, ServiceUser, Team

RATINGS = (0, 0, 0, 0, 0, 0, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0)


def test_second_save_of_same_service_user_gets_conflict(one_person):
    with pytest.raises(ConflictError, match="changed by someone else"):
        with session_scope(one_person) as second:
            su2 = second.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == "SU1"))
            with session_scope(one_person) as first:
                su1 = first.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == "SU1"))
                process.record_accommodation(first, su1, settled=True, on=date(2023, 5, 1), by="S1")
            process.record_accommodation(second, su2, settled=False, on=date(2023, 5, 2), by="S2")
    with session_scope(one_person) as s:
        su = s.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == "SU1"))
        assert (su.settled_accommodation, su.accommodation_recorded_on, su.version) == (True, date(2023, 5, 1), 2)
        process.record_accommodation(s, su, settled=False, on=date(2023, 5, 2), by="S2")  # after reload it saves
    with session_scope(one_person) as s:
        assert s.scalar(select(ServiceUser.settled_accommodation)) is False


def _allocate(s, clust_id, on, cluster, **kw):
    su = process.person(s, "SU1")
    team = s.scalar(select(Team))
    a = process.record_assessment(s, su, clust_id=clust_id, assessed_on=on, assessor="S1", reason="review",
                                  ratings=RATINGS, team=team)
    return process.allocate(s, su, a, chosen_by="S1", provider="RAA", commissioner="01A", team=team,
                            chosen_cluster=cluster, override_reason="clinical view", transition_reason="test", **kw)


def test_two_clinicians_reallocating_at_once(one_person):
    with session_scope(one_person) as s:
        _allocate(s, "A0", date(2023, 1, 1), "03")
    with pytest.raises(ConflictError):
        with session_scope(one_person) as second:
            stale = process.open_period(second, process.person(second, "SU1").id)
            assert stale is not None
            with session_scope(one_person) as first:
                _allocate(first, "A1", date(2023, 2, 1), "04")
            _allocate(second, "A2", date(2023, 2, 2), "02", based_on=stale)
    with session_scope(one_person) as s:
        rows = s.execute(select(ClusterPeriod.chosen_cluster, ClusterPeriod.end_on).order_by(ClusterPeriod.id)).all()
    assert rows == [("03", date(2023, 2, 1)), ("04", None)]  # the first save stands, the second saved nothing


def test_two_first_allocations_at_once(one_person):
    with pytest.raises(ConflictError):
        with session_scope(one_person) as second:
            seen = process.open_period(second, process.person(second, "SU1").id)  # sees none
            with session_scope(one_person) as first:
                _allocate(first, "A1", date(2023, 2, 1), "04")
            _allocate(second, "A2", date(2023, 2, 2), "02", based_on=seen)
    with session_scope(one_person) as s:
        assert s.scalars(select(ClusterPeriod.chosen_cluster)).all() == ["04"]
