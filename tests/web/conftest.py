"""Web fixtures: a small synthetic trust, the app in-process (TestClient) and served by uvicorn for a real browser."""

from __future__ import annotations

import os
import re
import socket
import threading
import time
from datetime import date

import pytest

from openpbr.api.app import create_app
from openpbr.api.settings import ApiSettings

TRUST_SIZE = dict(people=240, years=2, start=date(2022, 4, 1))
AS_OF = "2024-03-31"  # the last day of the synthetic trust: pages read as of then


def _trust_key() -> str:
    """Changes whenever the schema or the generator changes, so a cached trust is never stale."""
    import hashlib
    from pathlib import Path

    import openpbr

    root = Path(openpbr.__file__).parent
    h = hashlib.sha256(repr(sorted(TRUST_SIZE.items())).encode())
    for f in sorted([*root.glob("migrations/**/*.py"), root / "records" / "generate.py", root / "records" / "models.py"]):
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="session")
def web_trust(tmp_path_factory):
    """A fresh copy, per test session, of a synthetic trust built once per schema and generator version."""
    import shutil

    from openpbr.db import upgrade
    from openpbr.records.generate import TrustSize, generate_trust

    cache = tmp_path_factory.getbasetemp().parent / f"openpbr-web-trust-{_trust_key()}.sqlite"
    if not cache.exists():
        part = cache.with_suffix(f".{os.getpid()}.part")
        upgrade(f"sqlite:///{part}")
        generate_trust(f"sqlite:///{part}", seed=3, size=TrustSize(**TRUST_SIZE))
        os.replace(part, cache)
    path = tmp_path_factory.mktemp("web") / "trust.sqlite"
    shutil.copyfile(cache, path)
    return f"sqlite:///{path}"


def web_settings(url: str) -> ApiSettings:
    return ApiSettings(database_url=url, dev_signin=True, signin_rate_per_minute=10_000,
                       secret_key="web-test-secret-not-for-production")


@pytest.fixture(scope="session")
def web_app(web_trust):
    os.environ["OPENPBR_AS_OF"] = AS_OF
    app = create_app(web_settings(web_trust))
    yield app
    app.state.engine.dispose()


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browserless:
    """A TestClient that signs in through the development sign-in page, like a browser would."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path: str = "/sign-in") -> str:
        m = CSRF.search(self.client.get(path).text)
        assert m, f"no CSRF token on {path}"
        return m.group(1)

    def sign_in(self, user: str, person: str | None = None):
        self.client.cookies.clear()
        data = {"csrf_token": self.csrf(), "user": user}
        if person:
            data["person"] = person
        r = self.client.post("/sign-in/development", data=data, follow_redirects=False)
        assert r.status_code == 303, r.text
        return self

    def post(self, path: str, data: dict, **kw):
        return self.client.post(path, data={"csrf_token": self.csrf(), **data}, follow_redirects=False, **kw)


@pytest.fixture
def web(web_app):
    from fastapi.testclient import TestClient

    with TestClient(web_app, base_url="http://127.0.0.1") as client:
        yield Browserless(client)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(web_trust):
    """The app served by a real uvicorn on 127.0.0.1 and a free port, in a thread of this process."""
    import uvicorn

    os.environ["OPENPBR_AS_OF"] = AS_OF
    app = create_app(web_settings(web_trust))
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        if time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
    app.state.engine.dispose()


def people(url: str, n: int = 3, provider: str = "R01", team: str | None = "R01-T01", open_only: bool = True) -> list[str]:
    """Pseudonymous ids of people with an open cluster period at a provider (and team)."""
    from sqlalchemy import create_engine, text

    sql = ("SELECT s.pseudo_id FROM service_users s JOIN cluster_periods p ON p.service_user_id = s.id "
           "JOIN organisations o ON o.id = p.provider_id LEFT JOIN teams t ON t.id = p.team_id "
           "WHERE o.ods_code = :prov AND p.end_on IS NULL" + (" AND t.code = :team" if team else "")
           + " ORDER BY s.pseudo_id LIMIT :n")
    eng = create_engine(url)
    with eng.connect() as c:
        out = [r[0] for r in c.execute(text(sql), {"prov": provider, "team": team, "n": n})]
    eng.dispose()
    return out


@pytest.fixture(scope="session")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    from tests.web.browser import CHROMIUM, CHROMIUM_ARGS

    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            raise RuntimeError(f"{CHROMIUM} is missing: .ci/run installs Debian's chromium")
        pytest.skip("Debian's chromium is not installed")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=[True, False], ids=["js", "nojs"])
def js(request):
    return request.param


@pytest.fixture
def page(chromium, server, js):
    context = chromium.new_context(java_script_enabled=js, base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(60_000)  # a busy machine, not a timing assertion
    pg = context.new_page()
    pg.js = js
    checker_context = None
    if not js:
        checker_context = chromium.new_context(base_url=server, viewport={"width": 1280, "height": 900})
        checker_context.set_default_timeout(60_000)  # a busy machine, not a timing assertion
        pg.checker = checker_context.new_page()
    yield pg
    context.close()
    if checker_context is not None:
        checker_context.close()
