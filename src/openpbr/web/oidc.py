"""OpenID Connect sign-in for pages: authorization code flow with PKCE, through Authlib's Starlette client.

Authlib keeps the flow's state, nonce and PKCE verifier in ``request.session``.
Rather than add a session store, that dict travels in one short-lived,
HttpOnly cookie signed with the server's secret, present only between the
redirect to the identity provider and its callback.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from openpbr.api.settings import ApiSettings
from openpbr.web.security import clear_cookie, set_cookie

FLOW_COOKIE = "openpbr_oidc_flow"
FLOW_SECONDS = 600


def oidc_client(settings: ApiSettings):  # type: ignore[no-untyped-def]
    """The Authlib client for the configured issuer, or None when OIDC is not configured."""
    if not (settings.oidc_issuer and settings.oidc_audience):
        return None
    from authlib.integrations.starlette_client import OAuth

    oauth = OAuth()
    return oauth.register(
        "openpbr",
        client_id=settings.oidc_audience,
        client_secret=settings.oidc_client_secret,
        server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": "openid profile", "code_challenge_method": "S256"},
    )


def _sign(settings: ApiSettings, body: bytes) -> str:
    return hmac.new(settings.secret_key.encode(), b"oidc|" + body, hashlib.sha256).hexdigest()


def open_flow(request: Request) -> None:
    """Give Authlib a session dict, restored from the signed flow cookie when there is one."""
    data: dict[str, Any] = {}
    raw = request.cookies.get(FLOW_COOKIE, "")
    if "." in raw:
        body_b64, sig = raw.rsplit(".", 1)
        try:
            body = base64.urlsafe_b64decode(body_b64.encode())
        except ValueError:
            body = b""
        if body and hmac.compare_digest(sig, _sign(request.app.state.settings, body)):
            loaded = json.loads(body)
            if loaded.get("exp", 0) > time.time():
                data = loaded.get("session", {})
    request.scope["session"] = data


def save_flow(request: Request, response: Response) -> None:
    body = json.dumps({"session": request.scope.get("session", {}), "exp": time.time() + FLOW_SECONDS}).encode()
    value = base64.urlsafe_b64encode(body).decode() + "." + _sign(request.app.state.settings, body)
    set_cookie(request, response, FLOW_COOKIE, value, max_age=FLOW_SECONDS)


def end_flow(request: Request, response: Response) -> None:
    clear_cookie(request, response, FLOW_COOKIE)
