"""Writes through the API: Idempotency-Key replays, If-Match conflicts (412), and what is never echoed."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
import sqlalchemy as sa

RATINGS = {**{f"item_{i:02d}": 2 for i in range(1, 14)}, **{f"hist_{x}": 0 for x in "abcde"}}


def _count(url: str, sql: str) -> int:
    e = sa.create_engine(url)
    try:
        with e.connect() as c:
            return c.execute(sa.text(sql)).scalar_one()
    finally:
        e.dispose()


@pytest.fixture
def person(api, trust_url):
    """A newly registered person with nothing recorded yet."""
    pid = f"W{uuid.uuid4().hex[:9]}"
    nhs = _valid_nhs(uuid.uuid4().int)
    r = api.client.post("/v1/people", json={"person": pid, "nhs_number": nhs, "birth_year": 1980},
                        headers=api.as_("clinician", **{"Idempotency-Key": uuid.uuid4().hex}))
    assert r.status_code == 201, r.text
    assert r.headers["ETag"] == 'W/"period-none-v0"'
    return pid, nhs, r.headers["ETag"]


def _valid_nhs(seed: int) -> str:
    """A valid NHS number from the synthetic 999 range, different for each seed."""
    import numpy as np

    from openpbr.records.generate import synthetic_nhs_numbers

    return synthetic_nhs_numbers(np.random.default_rng(seed % 2**63), 1)[0]


def _decide(api, person, etag, key, chosen=None, clust=None):
    body = {**RATINGS, "clust_id": clust or uuid.uuid4().hex[:20], "assessed_on": date.today().isoformat(),
            "provider": "R01", "commissioner": "01X", "team": "R01-T01", "reason": "initial"}
    if chosen:
        body |= {"chosen_cluster": chosen, "override_reason": "knows the person's history",
                 "transition_reason": "history of psychosis not on the ratings"}
    headers = {"Idempotency-Key": key}
    if etag:
        headers["If-Match"] = etag
    return api.client.post(f"/v1/people/{person}/decisions", json=body, headers=api.as_("clinician", **headers))


def test_registering_echoes_no_nhs_number_and_a_repeat_writes_nothing(api, trust_url):
    nhs = _valid_nhs(uuid.uuid4().int)
    body = {"person": f"R{uuid.uuid4().hex[:9]}", "nhs_number": nhs}
    headers = api.as_("clinician", **{"Idempotency-Key": "register-once-" + uuid.uuid4().hex})
    first = api.client.post("/v1/people", json=body, headers=headers)
    again = api.client.post("/v1/people", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert nhs not in first.text
    assert _count(trust_url, f"SELECT count(*) FROM service_users WHERE pseudo_id = '{body['person']}'") == 1


def test_the_same_key_with_another_body_is_refused(api):
    key = uuid.uuid4().hex
    h = api.as_("clinician", **{"Idempotency-Key": key})
    assert api.client.post("/v1/people", json={"person": "K" + key[:9], "nhs_number": _valid_nhs(7)},
                           headers=h).status_code in (201, 409)
    r = api.client.post("/v1/people", json={"person": "L" + key[:9], "nhs_number": _valid_nhs(9)}, headers=h)
    assert r.status_code == 422 and "already used" in r.json()["detail"]


def test_a_write_without_an_idempotency_key_is_refused(api):
    r = api.client.post("/v1/people", json={"person": "NOKEY", "nhs_number": _valid_nhs(11)},
                        headers=api.as_("clinician"))
    assert r.status_code == 428 and r.json()["code"] == "PRECONDITION_REQUIRED"


def test_an_invalid_nhs_number_is_named_not_echoed(api):
    r = api.client.post("/v1/people", json={"person": "BADNHS", "nhs_number": "9434765918"},
                        headers=api.as_("clinician", **{"Idempotency-Key": uuid.uuid4().hex}))
    assert r.status_code == 422 and r.json()["code"] == "INVALID_NHS_NUMBER"
    assert "9434765918" not in r.text


def test_deciding_needs_the_etag_and_a_stale_one_gets_412(api, person, trust_url):
    pid, _, etag = person
    assert _decide(api, pid, None, uuid.uuid4().hex).status_code == 428
    first = _decide(api, pid, etag, uuid.uuid4().hex)
    assert first.status_code == 201, first.text
    # a second clinician who read the record before the first decision: refused, nothing saved
    stale = _decide(api, pid, etag, uuid.uuid4().hex, chosen="11")
    assert stale.status_code == 412 and stale.json()["code"] == "PRECONDITION_FAILED"
    assert _count(trust_url, f"SELECT count(*) FROM cluster_periods cp JOIN service_users s ON s.id = "
                             f"cp.service_user_id WHERE s.pseudo_id = '{pid}'") == 1
    # with the fresh ETag the change goes through
    fresh = api.client.get(f"/v1/people/{pid}", headers=api.as_("clinician")).headers["ETag"]
    assert fresh != etag
    again = _decide(api, pid, fresh, uuid.uuid4().hex, chosen="11")
    assert again.status_code == 201, again.text
    assert again.json()["overridden"] is True


def test_a_repeated_decision_with_the_same_key_writes_nothing(api, person, trust_url):
    pid, _, etag = person
    key, clust = uuid.uuid4().hex, uuid.uuid4().hex[:20]
    first = _decide(api, pid, etag, key, clust=clust)
    again = _decide(api, pid, etag, key, clust=clust)  # a retry after a lost answer: the stale ETag does not matter
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert _count(trust_url, f"SELECT count(*) FROM assessments WHERE clust_id = '{clust}'") == 1


def test_a_settlement_run_posted_twice_stores_one_run(api, trust_url):
    before = _count(trust_url, "SELECT count(*) FROM payment_runs")
    h = api.as_("finance", **{"Idempotency-Key": uuid.uuid4().hex})
    first = api.client.post("/v1/settlement/runs", json={"month": "2023-04"}, headers=h)
    again = api.client.post("/v1/settlement/runs", json={"month": "2023-04"}, headers=h)
    assert first.status_code in (200, 201) and again.json() == first.json()
    assert _count(trust_url, "SELECT count(*) FROM payment_runs") - before <= 1
    # a new key for the same inputs: settlement is itself idempotent, nothing new is stored
    other = api.client.post("/v1/settlement/runs", json={"month": "2023-04"},
                            headers=api.as_("finance", **{"Idempotency-Key": uuid.uuid4().hex}))
    assert other.json()["run_key"] == first.json()["run_key"] and other.json()["created"] is False


def test_reads_are_audited_with_the_real_actor(api, person):
    pid, _, etag = person
    assert _decide(api, pid, etag, uuid.uuid4().hex).status_code == 201  # now in care at R01: readable
    api.client.get(f"/v1/people/{pid}", headers=api.as_("clinician"))
    views = api.client.get(f"/v1/people/{pid}/record-views", headers=api.as_("auditor")).json()
    assert views and views[0]["who"] == "dev-clinician" and views[0]["role"] == "clinician"
