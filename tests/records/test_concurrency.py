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


# -- two clinicians deciding at once, through the service layer, with real threads --------------------------------

import threading  # noqa: E402

from openpbr.access import Scope  # noqa: E402
from openpbr.db import make_engine  # noqa: E402
from openpbr.errors import InputError  # noqa: E402
from openpbr.services import records as svc  # noqa: E402

DECIDE = dict(assessor="S1", ratings=RATINGS, provider="RAA", commissioner="01A", team="RAA-T1",
              chosen_cluster=None, as_of=date(2024, 1, 1))


def _decide(engine, actor, clust_id, on, **kw):
    with svc.transaction(engine) as s:
        return svc.assess_and_decide(s, Scope.local_operator(actor), person="SU1", clust_id=clust_id, assessed_on=on,
                                     **{**DECIDE, **kw})


def _race(url, monkeypatch, on):
    """Both clinicians read the person's open period, then both save: one wins, the other gets a ConflictError."""
    barrier = threading.Barrier(2, timeout=30)
    original = process.record_assessment

    def after_both_have_read(*a, **k):
        barrier.wait()
        return original(*a, **k)

    monkeypatch.setattr(process, "record_assessment", after_both_have_read)
    outcomes: dict[str, object] = {}

    def clinician(name):
        engine = make_engine(url)
        try:
            outcomes[name] = _decide(engine, name, f"X-{name}", on)
        except Exception as exc:  # noqa: BLE001 - the test inspects what each clinician got
            outcomes[name] = exc
        finally:
            engine.dispose()

    threads = [threading.Thread(target=clinician, args=(n,)) for n in ("S1", "S2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    monkeypatch.setattr(process, "record_assessment", original)
    return outcomes


def _periods(engine):
    with session_scope(engine) as s:
        return s.execute(select(ClusterPeriod.start_on, ClusterPeriod.end_on).order_by(ClusterPeriod.id)).all()


@pytest.mark.parametrize("already_in_care", [False, True], ids=["first-decision", "re-decision"])
def test_two_clinicians_deciding_at_once_one_gets_a_clear_conflict(one_person, monkeypatch, already_in_care):
    url = one_person.url.render_as_string(hide_password=False)
    if already_in_care:
        _decide(one_person, "S0", "X-0", date(2023, 6, 1))
    outcomes = _race(url, monkeypatch, date(2023, 9, 1))
    errors = [o for o in outcomes.values() if isinstance(o, Exception)]
    assert len(outcomes) == 2 and len(errors) == 1, outcomes
    assert isinstance(errors[0], ConflictError), repr(errors[0])
    assert "someone else changed this person's cluster period; nothing was saved; reload and decide again" in str(errors[0])
    periods = _periods(one_person)
    assert sum(1 for _, end in periods if end is None) == 1
    assert all(end is None or end > start for start, end in periods), "never a 0-day period"
    assert len(periods) == (2 if already_in_care else 1)


def test_a_second_decision_the_same_day_unaware_of_the_first_is_a_conflict(one_person):
    _decide(one_person, "S1", "X-1", date(2023, 9, 1))
    with pytest.raises(ConflictError, match="reload and decide again"):
        _decide(one_person, "S2", "X-2", date(2023, 9, 1))
    with svc.transaction(one_person) as s:
        seen = svc.open_period_seen(s, Scope.local_operator(), "SU1")
    stale = svc.PeriodSeen(seen.period_id, seen.version - 1)
    with pytest.raises(ConflictError, match="reload and decide again"):
        _decide(one_person, "S2", "X-2", date(2023, 10, 1), seen=stale)
    _decide(one_person, "S2", "X-2", date(2023, 10, 1), seen=seen)  # decided with the current period in view
    assert [end for _, end in _periods(one_person)] == [date(2023, 10, 1), None]


def test_repeated_clust_id_is_one_line_input_error(one_person):
    _decide(one_person, "S1", "X-1", date(2023, 9, 1))
    with pytest.raises(InputError, match="assessment id X-1 is already recorded") as err:
        _decide(one_person, "S1", "X-1", date(2023, 10, 1))
    assert err.value.code == "DUPLICATE_CLUST_ID" and "\n" not in str(err.value)
