"""The records service layer: scope filters every read, actors come from the scope, as-of is explicit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from openpbr.access import Role, Scope
from openpbr.errors import InputError, NotFound
from openpbr.services import records as svc

AS_OF = date(2023, 3, 31)
RATINGS = (0, 0, 0, 0, 0, 0, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0, 1, 0)
EMPTY = Scope(actor="nobody", role=Role.CLINICIAN)


def _people_of(trust, provider):
    with trust.connect() as c:
        return set(c.execute(text(
            "SELECT DISTINCT s.pseudo_id FROM service_users s JOIN cluster_periods p ON p.service_user_id = s.id "
            "JOIN organisations o ON o.id = p.provider_id WHERE o.ods_code = :p"), {"p": provider}).scalars())


def test_worklist_is_filtered_by_scope(trust):
    everyone = svc.worklist(trust, Scope.local_operator(), as_of=AS_OF, horizon_days=60).rows
    assert everyone.num_rows > 0
    clinician = Scope(actor="dr-a", role=Role.CLINICIAN, organisations=frozenset({"R01"}))
    mine = svc.worklist(trust, clinician, as_of=AS_OF, horizon_days=60).rows
    assert 0 < mine.num_rows <= everyone.num_rows
    assert set(mine["provider"].to_pylist()) | set(mine["commissioner"].to_pylist()) >= {"R01"}
    assert all(p == "R01" or c == "R01" for p, c in zip(mine["provider"].to_pylist(), mine["commissioner"].to_pylist()))
    with pytest.raises(NotFound):
        svc.worklist(trust, EMPTY, as_of=AS_OF)


def test_month_report_is_filtered_by_scope(trust):
    whole = svc.month_report(trust, Scope.local_operator(), month="2022-06")
    clinician = Scope(actor="dr-a", role=Role.CLINICIAN, organisations=frozenset({"R01"}))
    part = svc.month_report(trust, clinician, month="2022-06")
    assert part.allocations.num_rows <= whole.allocations.num_rows
    assert set(part.allocations["provider"].to_pylist()) <= {"R01"} | set()
    with pytest.raises(InputError, match="YYYY-MM"):
        svc.month_report(trust, clinician, month="06/2022")


def test_service_user_sees_only_their_own_care(trust):
    [me, other] = sorted(_people_of(trust, "R01"))[:2]
    scope = Scope(actor=me, role=Role.SERVICE_USER, person=me)
    with svc.transaction(trust) as s:
        assert svc.my_care(s, scope, person=me, as_of=AS_OF).person == me
    with pytest.raises(NotFound):
        with svc.transaction(trust) as s:
            svc.my_care(s, scope, person=other, as_of=AS_OF)
    with pytest.raises(NotFound):
        with svc.transaction(trust) as s:
            svc.my_care(s, EMPTY, person=me, as_of=AS_OF)


def test_staff_of_another_organisation_cannot_reach_a_person(trust):
    person = sorted(_people_of(trust, "R01") - _people_of(trust, "R02"))[0]
    other = Scope(actor="dr-b", role=Role.CLINICIAN, organisations=frozenset({"R02"}))
    with pytest.raises(NotFound):
        with svc.transaction(trust) as s:
            svc.my_care(s, other, person=person, as_of=AS_OF)
    with pytest.raises(NotFound):
        with svc.transaction(trust) as s:
            svc.assess_and_decide(s, other, person=person, clust_id="Z1", assessed_on=AS_OF, as_of=AS_OF, assessor="S1",
                                  ratings=RATINGS, provider="R01", commissioner="01X")


def test_decisions_audit_the_scope_actor_and_refuse_future_dates(one_person):
    clinician = Scope(actor="dr-x", role=Role.CLINICIAN, organisations=frozenset({"RAA"}))
    with pytest.raises(InputError, match="after"):
        with svc.transaction(one_person) as s:
            svc.assess_and_decide(s, clinician, person="SU1", clust_id="A1", assessed_on=date(2024, 2, 1),
                                  as_of=date(2024, 1, 31), assessor="S1", ratings=RATINGS, provider="RAA", commissioner="01A")
    with svc.transaction(one_person) as s:
        d = svc.assess_and_decide(s, clinician, person="SU1", clust_id="A1", assessed_on=date(2024, 1, 10),
                                  as_of=date(2024, 1, 31), assessor="S1", ratings=RATINGS, provider="RAA",
                                  commissioner="01A", team="RAA-T1")
    assert d.chosen_cluster and d.review_due and d.closed_period_id is None
    with one_person.connect() as c:
        actors = set(c.execute(text("SELECT actor FROM audit_log WHERE action IN ('assessment', 'allocation')")).scalars())
    assert actors == {"dr-x"}
    assert svc.verify_audit(one_person, Scope(actor="aud", role=Role.AUDITOR, organisations=frozenset({"RAA"}))).ok


def test_export_is_refused_to_pseudonymised_roles_and_import_keeps_to_scope(trust, db_url, tmp_path):
    analyst = Scope(actor="an", role=Role.ANALYST, organisations=frozenset({"R01"}))
    with pytest.raises(NotFound):
        svc.export_records(trust, analyst, tmp_path / "x")
    mine = svc.export_records(trust, Scope(actor="dr", role=Role.CLINICIAN, organisations=frozenset({"R01"})), tmp_path / "r01")
    none = svc.export_records(trust, Scope(actor="dr", role=Role.CLINICIAN, organisations=frozenset({"R02"})), tmp_path / "r02")
    everything = svc.export_records(trust, Scope.local_operator(), tmp_path / "all")
    assert mine == everything and none == {"MHS801": 0, "MHS802": 0, "MHS803": 0}  # the small trust has one provider, R01
    from openpbr.db import make_engine, upgrade

    target_url = f"sqlite:///{tmp_path / 'target.sqlite'}"
    upgrade(target_url)
    target = make_engine(target_url)
    try:
        importer = Scope(actor="imp", role=Role.ADMIN, organisations=frozenset({"R02"}))
        rep = svc.import_records(target, importer, tmp_path / "all", as_of=date(2026, 1, 1))
        assert rep.changed == 0 and {e.code for e in rep.errors if e.file == "MHS801"} == {"OUT_OF_SCOPE"}
        assert len([e for e in rep.errors if e.file == "MHS801"]) == everything["MHS801"]
    finally:
        target.dispose()
