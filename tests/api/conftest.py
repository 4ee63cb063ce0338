"""API fixtures: a small synthetic trust per backend, served by the real app with the development sign-in."""

from __future__ import annotations

from datetime import date

import pytest

from openpbr.api.app import create_app
from openpbr.api.settings import ApiSettings

TRUST_SIZE = dict(people=240, years=2, start=date(2022, 4, 1))


def _trust(url: str) -> str:
    from openpbr.db import upgrade
    from openpbr.records.generate import TrustSize, generate_trust

    upgrade(url)
    generate_trust(url, seed=3, size=TrustSize(**TRUST_SIZE))
    return url


@pytest.fixture(scope="module")
def trust_sqlite(tmp_path_factory):
    return _trust(f"sqlite:///{tmp_path_factory.mktemp('api') / 'trust.sqlite'}")


@pytest.fixture(scope="module")
def trust_pg(pg_module_url):
    return _trust(pg_module_url)


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def trust_url(request):
    if request.param == "sqlite":
        return request.getfixturevalue("trust_sqlite")
    request.applymarker(pytest.mark.postgres)
    return request.getfixturevalue("trust_pg")


class Api:
    """A test client that signs in as a seeded development user."""

    def __init__(self, client):
        self.client = client
        self._tokens: dict[str, str] = {}

    def token(self, user: str, person: str | None = None) -> str:
        key = f"{user}/{person}"
        if key not in self._tokens:
            r = self.client.post("/v1/auth/dev-token", json={"user": user, "person": person})
            assert r.status_code == 200, r.text
            self._tokens[key] = r.json()["access_token"]
        return self._tokens[key]

    def as_(self, user: str, person: str | None = None, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user, person)}", **headers}

    def get(self, path: str, user: str, **kw):
        return self.client.get(path, headers=self.as_(user), **kw)


@pytest.fixture(scope="module")
def api(trust_url):
    from fastapi.testclient import TestClient

    settings = ApiSettings(database_url=trust_url, dev_signin=True, allow_dev_signin_on_postgres=True,
                           signin_rate_per_minute=10_000)
    app = create_app(settings)
    with TestClient(app) as client:
        yield Api(client)
    app.state.engine.dispose()
