"""Identity: OIDC bearer tokens verified against the issuer's keys, the development sign-in's rules,
problem details, secure headers and the sign-in rate limit."""

from __future__ import annotations

import json
import time

import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

from openpbr.api.app import create_app
from openpbr.api.settings import ApiSettings
from openpbr.errors import InputError

ISSUER = "https://login.example.nhs.uk"
AUDIENCE = "openpbr-test"


@pytest.fixture(scope="module")
def keys():
    key = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    other = RSAKey.generate_key(2048, parameters={"kid": "k1"})
    return key, other


@pytest.fixture(scope="module")
def oidc_client(keys, trust_sqlite):
    key, _ = keys
    jwks = json.dumps(KeySet([key]).as_dict(private=False))
    app = create_app(ApiSettings(database_url=trust_sqlite, oidc_issuer=ISSUER, oidc_audience=AUDIENCE,
                                 oidc_jwks_json=jwks, signin_rate_per_minute=3))
    with TestClient(app) as c:
        yield c


def _token(key, **claims):
    body = {"iss": ISSUER, "aud": AUDIENCE, "sub": "staff-123", "exp": int(time.time()) + 600,
            "openpbr_roles": ["clinician:R01:R01-T01", "commissioner:01X"], **claims}
    return jwt.encode({"alg": "RS256", "kid": "k1"}, body, key)


def test_a_valid_oidc_token_signs_in_with_its_roles(oidc_client, keys):
    r = oidc_client.get("/v1/me", headers={"Authorization": f"Bearer {_token(keys[0])}"})
    assert r.status_code == 200, r.text
    me = r.json()
    assert me["subject"] == "staff-123" and me["development_sign_in"] is False
    assert me["active"]["label"] == "clinician:R01:R01-T01"
    assert [g["label"] for g in me["grants"]] == ["clinician:R01:R01-T01", "commissioner:01X"]


def test_the_role_header_switches_between_held_roles_only(oidc_client, keys):
    h = {"Authorization": f"Bearer {_token(keys[0])}"}
    r = oidc_client.get("/v1/me", headers={**h, "X-OpenPbR-Role": "commissioner:01X"})
    assert r.json()["active"]["role"] == "commissioner"
    r = oidc_client.get("/v1/me", headers={**h, "X-OpenPbR-Role": "admin:R01"})
    assert r.status_code == 401


@pytest.mark.parametrize("change, reason", [
    ({"iss": "https://evil.example"}, "issuer"),
    ({"aud": "someone-else"}, "audience"),
    ({"exp": int(time.time()) - 3600}, "expired"),
    ({"sub": ""}, "subject"),
    ({"openpbr_roles": ["local_operator"]}, "local operator"),
])
def test_tokens_that_must_be_refused(oidc_client, keys, change, reason):
    r = oidc_client.get("/v1/me", headers={"Authorization": f"Bearer {_token(keys[0], **change)}"})
    assert r.status_code == 401
    body = r.json()
    assert r.headers["content-type"].startswith("application/problem+json")
    assert body["code"] == "UNAUTHENTICATED" and reason in body["detail"]


def test_a_token_signed_by_another_key_is_refused(oidc_client, keys):
    r = oidc_client.get("/v1/me", headers={"Authorization": f"Bearer {_token(keys[1])}"})
    assert r.status_code == 401 and r.json()["detail"] == "the token is not valid"


def test_garbage_and_missing_tokens_are_refused_without_a_500(oidc_client):
    for header in ({"Authorization": "Bearer not.a.token"}, {"Authorization": "Bearer x"}, {}):
        r = oidc_client.get("/v1/me", headers=header)
        assert r.status_code == 401, r.text


def test_development_sign_in_is_off_unless_asked_for(oidc_client):
    assert oidc_client.post("/v1/auth/dev-token", json={"user": "admin"}).status_code == 404
    assert oidc_client.get("/v1/auth/dev-users").status_code == 404


def test_a_development_token_is_refused_by_a_server_without_the_development_sign_in(trust_sqlite, oidc_client):
    dev = create_app(ApiSettings(database_url=trust_sqlite, dev_signin=True, secret_key="s" * 32))
    with TestClient(dev) as c:
        token = c.post("/v1/auth/dev-token", json={"user": "admin"}).json()["access_token"]
    assert oidc_client.get("/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_development_sign_in_is_refused_on_postgres_without_the_flag():
    with pytest.raises(InputError, match="refused on a non-SQLite"):
        ApiSettings(database_url="postgresql+psycopg://x@127.0.0.1/test", dev_signin=True).check()
    ApiSettings(database_url="postgresql+psycopg://x@127.0.0.1/test", dev_signin=True,
                allow_dev_signin_on_postgres=True).check()


def test_no_sign_in_configured_is_refused():
    with pytest.raises(InputError, match="no sign-in configured"):
        ApiSettings(database_url="sqlite:///x.sqlite").check()


def test_every_answer_has_secure_headers_and_a_request_id(oidc_client):
    r = oidc_client.get("/v1/me")
    for h in ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy",
              "X-Request-Id"):
        assert h in r.headers
    assert r.json()["request_id"] == r.headers["X-Request-Id"]


def test_unknown_paths_are_problems_too(oidc_client):
    r = oidc_client.get("/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"


def test_sign_in_attempts_are_rate_limited(trust_sqlite):
    app = create_app(ApiSettings(database_url=trust_sqlite, dev_signin=True, signin_rate_per_minute=3))
    with TestClient(app) as c:
        codes = [c.post("/v1/auth/dev-token", json={"user": "nobody"}).status_code for _ in range(5)]
    assert codes == [401, 401, 401, 429, 429]


def test_oversized_bodies_are_refused_before_reading(trust_sqlite):
    app = create_app(ApiSettings(database_url=trust_sqlite, dev_signin=True, max_upload_bytes=100))
    with TestClient(app) as c:
        r = c.post("/v1/auth/dev-token", content=b"x" * 1000, headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.json()["code"] == "PAYLOAD_TOO_LARGE"
