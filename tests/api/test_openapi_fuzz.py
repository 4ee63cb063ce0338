"""The API fuzzed against its own OpenAPI document: no 500s, every answer matches the schema.

Schemathesis generates requests from /openapi.json and checks each answer's
status and body against the document. Every request is sent twice, signed in
as a clinician and as a commissioner, so allowed and refused paths both run.
The app is built at import (Schemathesis reads the document when collecting)
over a small synthetic trust in a temporary SQLite file.
"""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from openpbr.api.app import create_app
from openpbr.api.settings import ApiSettings

pytestmark = pytest.mark.slow


def _app():
    from openpbr.db import upgrade
    from openpbr.records.generate import TrustSize, generate_trust

    url = f"sqlite:///{Path(tempfile.mkdtemp(prefix='openpbr-fuzz-')) / 'trust.sqlite'}"
    upgrade(url)
    generate_trust(url, seed=5, size=TrustSize(people=60, years=1, start=date(2023, 4, 1)))
    return create_app(ApiSettings(database_url=url, dev_signin=True, signin_rate_per_minute=1_000_000))


APP = _app()
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)
with TestClient(APP) as _c:
    TOKENS = [_c.post("/v1/auth/dev-token", json={"user": u}).json()["access_token"]
              for u in ("clinician", "commissioner")]


@schema.parametrize()
@settings(max_examples=25, suppress_health_check=list(HealthCheck), deadline=None)
def test_no_server_errors_and_answers_match_the_schema(case):
    for token in TOKENS:
        response = case.call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code < 500, response.text
        case.validate_response(response)
