"""The access matrix, generated from the policy table: every /v1 route, for every role, against its own
and another organisation's records, gives the expected allow or deny, on both databases.

A route names its policy action through ``allow(action)``; this test finds the
action on each route, so a new route is covered the moment it exists (and fails
here until it has a sample request below).
"""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute

from openpbr.access import POLICY, Role

ROLE_USERS = {Role.CLINICIAN: "clinician", Role.TEAM_LEAD: "team-lead", Role.PROVIDER_FINANCE: "finance",
              Role.COMMISSIONER: "commissioner", Role.ANALYST: "analyst", Role.ADMIN: "admin",
              Role.AUDITOR: "auditor", Role.SERVICE_USER: "service-user"}
RATINGS = {**{f"item_{i:02d}": 1 for i in range(1, 14)}, **{f"hist_{x}": 0 for x in "abcde"}}


def _action(route) -> str | None:
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        action = getattr(dep.call, "openpbr_action", None)
        if action:
            return action
        stack.extend(dep.dependencies)
    return None


def _person(url: str, provider: str) -> str:
    e = sa.create_engine(url)
    try:
        with e.connect() as c:
            return c.execute(sa.text(
                "SELECT min(s.pseudo_id) FROM service_users s JOIN cluster_periods cp ON cp.service_user_id = s.id "
                "JOIN organisations o ON o.id = cp.provider_id WHERE o.ods_code = :p AND s.pseudo_id NOT IN ("
                "SELECT s2.pseudo_id FROM service_users s2 JOIN cluster_periods c2 ON c2.service_user_id = s2.id "
                "JOIN organisations o2 ON o2.id = c2.provider_id WHERE o2.ods_code <> :p)"), {"p": provider}).scalar_one()
    finally:
        e.dispose()


@pytest.fixture(scope="module")
def people(trust_url):
    return {"own": _person(trust_url, "R01"), "other": _person(trust_url, "R02")}


def _sample(method: str, path: str, person: str) -> dict:
    """One plausible request per route, about ``person`` where the route is about a person."""
    p = path.replace("{person}", person).replace("{name}", "clusters").replace("{job_id}", "no-such-job")
    key = {"Idempotency-Key": uuid.uuid4().hex}
    samples = {
        ("GET", "/v1/me"): {},
        ("GET", "/v1/reference"): {},
        ("GET", "/v1/reference/{name}"): {},
        ("GET", "/v1/reference/contracts/demo"): {},
        ("POST", "/v1/people"): {"json": {"person": f"NEW{uuid.uuid4().hex[:8]}", "nhs_number": "9434765919"},
                                 "headers": key},
        ("GET", "/v1/people"): {"params": {"as_of": "2023-06-01"}},
        ("GET", "/v1/people/{person}"): {"params": {"as_of": "2023-06-01"}},
        ("POST", "/v1/assessments/suggest"): {"json": RATINGS},
        ("POST", "/v1/people/{person}/decisions"): {"json": {**RATINGS, "clust_id": uuid.uuid4().hex[:20],
                                                             "assessed_on": "2024-01-01", "provider": "R01",
                                                             "commissioner": "01X"}, "headers": key},
        ("POST", "/v1/people/{person}/discharge"): {"json": {"on": "2024-01-01"}, "headers": key},
        ("GET", "/v1/worklist"): {"params": {"as_of": "2023-06-01"}},
        ("GET", "/v1/my-care"): {"params": {"as_of": "2023-06-01"}},
        ("GET", "/v1/my-care/record-views"): {},
        ("GET", "/v1/people/{person}/record-views"): {},
        ("POST", "/v1/imports"): {"files": {n: (f"{n.upper()}.csv", b"") for n in ("mhs801", "mhs802", "mhs803")}},
        ("GET", "/v1/imports/{job_id}"): {},
        ("GET", "/v1/imports/{job_id}/rejects.csv"): {},
        ("GET", "/v1/audit/verify"): {},
    }
    if (method, path) not in samples:
        pytest.fail(f"no access-matrix sample for {method} {path}: add one")
    return {"method": method, "url": p, **samples[(method, path)]}


def api_routes(app):
    """Every API route as (path, methods, dependant), whether mounted directly or through included routers."""
    for r in app.routes:
        if isinstance(r, APIRoute):
            yield r
        elif hasattr(r, "effective_route_contexts"):  # FastAPI's included routers
            yield from r.effective_route_contexts()


def _routes(api):
    for r in api_routes(api.client.app):
        if r.path.startswith("/v1") and _action(r):
            for m in sorted(r.methods):
                yield m, r.path, _action(r)


NOT_REACHED = (401, 403, 404)
# Answers that prove the policy let the caller through, though the sample itself was not complete
# (no If-Match, an empty upload, a job that does not exist is checked separately below).
ROUTE_LEVEL_404 = {"/v1/imports/{job_id}", "/v1/imports/{job_id}/rejects.csv"}


def test_every_route_for_every_role(api, people):
    checked = 0
    for method, path, action in _routes(api):
        assert action in POLICY, f"{method} {path} names {action!r}, which is not in the policy table"
        for role, user in ROLE_USERS.items():
            person = people["own"]
            headers = api.as_(user, person if role is Role.SERVICE_USER else None)
            req = _sample(method, path, person)
            req["headers"] = {**headers, **req.get("headers", {})}
            status = api.client.request(**req).status_code
            allowed = role in POLICY[action]
            if not allowed:
                assert status == 404, f"{role.value} {method} {path}: expected 404 (denied), got {status}"
            elif path not in ROUTE_LEVEL_404:
                assert status not in NOT_REACHED, f"{role.value} {method} {path}: expected allowed, got {status}"
            checked += 1
    assert checked >= 8 * 15


@pytest.mark.parametrize("path", ["/v1/people/{person}", "/v1/people/{person}/record-views"])
def test_another_organisations_person_is_not_found(api, people, path):
    user = "clinician" if "record-views" not in path else "auditor"
    own = api.get(path.replace("{person}", people["own"]), user, params={"as_of": "2023-06-01"})
    other = api.get(path.replace("{person}", people["other"]), user, params={"as_of": "2023-06-01"})
    assert own.status_code == 200, own.text
    assert other.status_code == 404 and other.json()["detail"] == "no service user " + people["other"]
    assert api.get(path.replace("{person}", people["own"]), "other-clinician").status_code == 404


def test_a_missing_person_and_an_unseen_person_answer_alike(api, people):
    missing = api.get("/v1/people/NOSUCH1", "clinician").json()
    unseen = api.get(f"/v1/people/{people['other']}", "clinician").json()
    assert missing["status"] == unseen["status"] == 404
    assert missing["code"] == unseen["code"] == "NOT_FOUND"


def test_worklists_hold_only_the_callers_organisation(api):
    for user, org in (("clinician", "R01"), ("other-clinician", "R02")):
        rows = api.get("/v1/worklist", user, params={"as_of": "2023-06-01", "limit": 500}).json()["items"]
        assert rows and {r["provider"] for r in rows} | {r["commissioner"] for r in rows} >= {org}
        assert all(org in (r["provider"], r["commissioner"]) for r in rows)


def test_a_service_user_sees_only_themself(api, people):
    mine = api.client.get("/v1/my-care", headers=api.as_("service-user", people["own"]),
                          params={"as_of": "2023-06-01"}).json()
    assert mine["person"] == people["own"]
    r = api.client.get(f"/v1/people/{people['other']}", headers=api.as_("service-user", people["own"]))
    assert r.status_code == 404


def test_someone_elses_import_job_is_not_found(api):
    files = {n: (f"{n.upper()}.csv", b"x\n") for n in ("mhs801", "mhs802", "mhs803")}
    r = api.client.post("/v1/imports", files=files, headers=api.as_("analyst"))
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    assert api.get(f"/v1/imports/{job}", "analyst").status_code == 200
    assert api.get(f"/v1/imports/{job}", "admin").status_code in (200, 404)
    assert api.get(f"/v1/imports/{job}", "clinician").status_code == 404
