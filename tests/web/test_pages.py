"""Pages without a browser: sign-in, CSRF, scope (404), role switch, OIDC redirect, the MHCT journey's rules."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from tests.web.conftest import people

TITLE = re.compile(r"<title>(.*?)</title>", re.S)


def title(html: str) -> str:
    return TITLE.search(html).group(1).strip()


def test_public_prices_need_no_sign_in(web):
    r = web.client.get("/services")
    assert r.status_code == 200
    assert title(r.text) == "Services and prices – OpenPbR – NHS"
    assert "Cognitive Impairment (Low Need)" in r.text and "£5.00" in r.text
    assert "Provisional" in r.text


def test_pages_need_sign_in(web):
    r = web.client.get("/caseload", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/sign-in"


def test_development_sign_in_sets_a_safe_cookie(web):
    data = {"csrf_token": web.csrf(), "user": "clinician"}
    r = web.client.post("/sign-in/development", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("openpbr_token="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie  # plain http here
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/caseload"


def test_every_page_post_refuses_a_missing_or_forged_csrf_token(web, web_trust):
    """Every POST route of the pages, for a user whose role may use it, refuses a form without a valid token."""
    from openpbr.web.pages import ROUTERS

    posts = [r.path for router in ROUTERS for r in router.routes if "POST" in r.methods]
    assert {"/sign-in/development", "/sign-out", "/role", "/people/new", "/settlement/runs", "/imports"} <= set(posts)
    refused = {p: 0 for p in posts}
    for user in ("multi", "finance", "analyst"):
        web.sign_in(user)
        for path in posts:
            url = path.replace("{pseudo_id}", people(web_trust, 1)[0])
            for token in (None, "forged"):
                data = {} if token is None else {"csrf_token": token}
                r = web.client.post(url, data=data, follow_redirects=False)
                assert r.status_code in (403, 404), (user, path, token, r.status_code)  # 404: role may not
                if r.status_code == 403:
                    assert "The form could not be sent" in r.text
                    refused[path] += 1
    assert all(refused.values()), refused


def test_person_outside_scope_is_a_404_page(web, web_trust):
    other = people(web_trust, 1, provider="R02", team=None)[0]
    mine = people(web_trust, 1)[0]
    web.sign_in("clinician")
    assert web.client.get(f"/people/{mine}").status_code == 200
    r = web.client.get(f"/people/{other}")
    assert r.status_code == 404
    assert title(r.text) == "Page not found – OpenPbR – NHS"
    assert web.client.get("/people/NOSUCHPERSON").status_code == 404
    # A role without the action gets the same answer as a record outside scope.
    web.sign_in("finance")
    assert web.client.get(f"/people/{mine}").status_code == 404


def test_role_switch_changes_what_shows(web):
    web.sign_in("multi")
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/caseload"
    assert web.client.get("/caseload").status_code == 200
    r = web.post("/role", {"role": "provider_finance:R01"})
    assert r.status_code == 303
    assert web.client.get("/", follow_redirects=False).headers["location"] == "/settlement"
    assert web.client.get("/caseload").status_code == 404
    # A role the user does not hold is refused.
    assert web.post("/role", {"role": "admin:R01"}).status_code == 404


def test_service_user_sees_only_themself(web, web_trust):
    me, other = people(web_trust, 2)
    web.sign_in("service-user", person=me)
    r = web.client.get("/my-care")
    assert r.status_code == 200 and "<h1>My care</h1>" in r.text
    assert web.client.get(f"/people/{other}").status_code == 404
    assert web.client.get("/caseload").status_code == 404


def test_who_has_looked_lists_a_clinicians_read(web, web_trust):
    me = people(web_trust, 1)[0]
    web.sign_in("clinician")
    web.client.get(f"/people/{me}")
    web.sign_in("service-user", person=me)
    r = web.client.get("/my-care/access")
    assert r.status_code == 200
    assert "dev-clinician" in r.text and "Looked at your care record" in r.text
    assert "Clinician (dev-clinician)" in r.text


def test_mhct_form_errors_link_to_their_fields(web, web_trust):
    me = people(web_trust, 1)[0]
    web.sign_in("clinician")
    r = web.post(f"/people/{me}/assess", {"assessed_on": "2024-03-30", "reason": "review", "item_01": "2"})
    assert r.status_code == 422
    assert title(r.text).startswith("Error: ")
    assert 'href="#item_02"' in r.text and 'id="item_02"' in r.text
    assert 'href="#item_01"' not in r.text


def _ratings(**over):
    from openpbr.clustering.ratings import ITEM_CODES

    data = {c: "0" for c in ITEM_CODES}
    data.update(over)
    return data


def seen(html: str) -> dict:
    return {k: re.search(rf'name="{k}" value="([^"]*)"', html).group(1) for k in ("seen_id", "seen_version")}


def test_mhct_suggestion_is_shown_before_anything_is_saved(web, web_trust):
    from sqlalchemy import create_engine, text

    me = people(web_trust, 1)[0]
    eng = create_engine(web_trust)
    count = lambda: eng.connect().execute(text("SELECT count(*) FROM assessments")).scalar()  # noqa: E731
    before = count()
    web.sign_in("clinician")
    r = web.post(f"/people/{me}/assess", {"assessed_on": "2024-03-30", "reason": "review",
                                          **_ratings(item_07="3", item_08="2", item_08_type="B", item_09="2")})
    assert r.status_code == 303
    check = r.headers["location"]
    q = parse_qs(urlparse(check).query)
    assert q["ratings"] == ["000000322000000000"] and q["item8"] == ["B"]
    page = web.client.get(check)
    assert page.status_code == 200 and "Check the suggested cluster" in page.text
    assert "Candidates" in page.text and "Item by item" in page.text
    assert count() == before  # nothing saved yet
    # Override without a reason is refused, with the error linked to the reason field.
    hidden = {k: v[0] for k, v in q.items()}
    r = web.post(f"/people/{me}/assess/decide", {**hidden, "decision": "override", "chosen_cluster": "21",
                                                 **seen(page.text)})
    assert r.status_code == 422 and 'href="#override_reason"' in r.text
    assert count() == before
    r = web.post(f"/people/{me}/assess/decide", {**hidden, "decision": "confirm",
                                                 **seen(page.text)})
    assert r.status_code == 303 and r.headers["location"] == f"/people/{me}?saved=1"
    assert count() == before + 1
    eng.dispose()


def test_register_a_person_then_find_them_in_the_caseload(web):
    web.sign_in("clinician")
    r = web.post("/people/new", {"nhs_number": "123", "birth_year": "19", "commissioner": "", "psychosis_history": ""})
    assert r.status_code == 422
    for field in ("nhs_number", "birth_year", "commissioner", "psychosis_history"):
        assert f'href="#{field}"' in r.text
    r = web.post("/people/new", {"nhs_number": "9990000042", "birth_year": "1980", "commissioner": "01X",
                                 "psychosis_history": "no"})
    assert r.status_code == 303, r.text
    pseudo = r.headers["location"].split("/")[2].split("?")[0]
    assert pseudo in web.client.get("/caseload").text


def test_oidc_sign_in_redirects_with_pkce(web_trust):
    import time

    from fastapi.testclient import TestClient

    from openpbr.api.app import create_app
    from openpbr.api.settings import ApiSettings

    settings = ApiSettings(database_url=web_trust, oidc_issuer="https://idp.example", oidc_audience="openpbr-web",
                           oidc_jwks_json='{"keys": []}', secret_key="k" * 32)
    app = create_app(settings)
    app.state.oidc.server_metadata.update({
        "issuer": "https://idp.example", "authorization_endpoint": "https://idp.example/authorize",
        "token_endpoint": "https://idp.example/token", "jwks_uri": "https://idp.example/jwks", "_loaded_at": time.time()})
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            page = client.get("/sign-in").text
            assert "Continue to sign in" in page and "DEVELOPMENT" not in page
            r = client.get("/sign-in/oidc", follow_redirects=False)
    finally:
        app.state.engine.dispose()
    assert r.status_code in (302, 307)
    url = urlparse(r.headers["location"])
    q = parse_qs(url.query)
    assert url.netloc == "idp.example" and url.path == "/authorize"
    assert q["response_type"] == ["code"] and q["client_id"] == ["openpbr-web"]
    assert q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) >= 43
    assert q["redirect_uri"] == ["http://127.0.0.1/auth/callback"] and "state" in q and "openid" in q["scope"][0]
    assert any(c.startswith("openpbr_oidc_flow=") and "HttpOnly" in c for c in r.headers.get_list("set-cookie"))


def test_users_and_roles_page_is_for_admins(web):
    web.sign_in("admin")
    r = web.client.get("/roles")
    assert r.status_code == 200 and "The policy table" in r.text and "settlement:drill_down" in r.text
    web.sign_in("analyst")
    assert web.client.get("/roles").status_code == 404


def test_concurrent_reads_of_a_record_all_succeed(web, web_trust):
    """Each read writes its audit entry; colliding readers are retried, never shown an error page."""
    import threading

    me = people(web_trust, 1)[0]
    web.sign_in("clinician")
    codes: list[int] = []

    def read():
        for _ in range(8):
            codes.append(web.client.get(f"/people/{me}").status_code)

    threads = [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [200] * 24
