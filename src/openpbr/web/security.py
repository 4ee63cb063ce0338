"""Cookies, CSRF tokens and the signed-in user of a page.

The signed-in user's token lives in the HttpOnly cookie ``openpbr_token`` (the
API accepts it too); the active role in ``openpbr_role``. Every POST from a
page carries a CSRF token in a hidden field: an HMAC, under the server's
secret, of a random value held in its own cookie (double submit, signed), so
a forged cross-site form cannot supply it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from openpbr.errors import OpenPbRError

TOKEN_COOKIE = "openpbr_token"
ROLE_COOKIE = "openpbr_role"
CSRF_COOKIE = "openpbr_csrf"
CSRF_FIELD = "csrf_token"


class CsrfRefused(OpenPbRError):
    code = "CSRF_REFUSED"


def _secure(request: Request) -> bool:
    return request.url.scheme == "https"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = 8 * 3600) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request), path="/")


def clear_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", httponly=True, samesite="lax", secure=_secure(request))


def _sign(request: Request, value: str) -> str:
    key = request.app.state.settings.secret_key.encode()
    return hmac.new(key, f"csrf|{value}".encode(), hashlib.sha256).hexdigest()


def csrf_seed(request: Request) -> str:
    """The random value behind this browser's CSRF token (a new one is set on the response when missing)."""
    seed = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
    return seed


def csrf_token(request: Request) -> str:
    return _sign(request, csrf_seed(request))


def remember_csrf_seed(request: Request, response: Response) -> None:
    seed = getattr(request.state, "csrf_seed", None)
    if seed and not request.cookies.get(CSRF_COOKIE):
        set_cookie(request, response, CSRF_COOKIE, seed, max_age=None)


async def checked_form(request: Request) -> FormData:
    """The posted form, refused unless it carries this browser's CSRF token."""
    form = await request.form()
    seed = request.cookies.get(CSRF_COOKIE)
    sent = str(form.get(CSRF_FIELD) or "")
    if not seed or not sent or not hmac.compare_digest(sent, _sign(request, seed)):
        raise CsrfRefused("the form could not be accepted: it has expired or came from another site. Go back, reload and try again")
    return form
