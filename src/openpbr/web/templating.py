"""Jinja with the NHS.UK frontend macros, and the one way pages are rendered."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader
from starlette.requests import Request
from starlette.responses import HTMLResponse

from openpbr.web.security import csrf_token, remember_csrf_seed

HERE = Path(__file__).parent
ASSETS = "/static/nhsuk-frontend-10.6.1"
SERVICE = "OpenPbR"

ENV = Environment(
    loader=ChoiceLoader([FileSystemLoader(str(HERE / "templates")), PackageLoader("nhsuk_frontend_jinja")]),
    undefined=ChainableUndefined,
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
)


def _pounds(pence: int | None) -> str:
    if pence is None:
        return "–"
    sign = "-" if pence < 0 else ""
    return f"{sign}£{abs(pence) // 100:,}.{abs(pence) % 100:02d}"


def _money(value: Any) -> str:
    """Decimal pounds as £1,234.56."""
    if value is None:
        return "–"
    from decimal import ROUND_HALF_UP, Decimal

    d = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{'-' if d < 0 else ''}£{abs(d):,.2f}"


def _qs(params: dict[str, Any], **changes: Any) -> str:
    """The query string with some parameters changed (filters and sorting keep each other)."""
    from urllib.parse import urlencode

    merged = {**{k: v for k, v in params.items() if v not in (None, "")}, **changes}
    return urlencode({k: v for k, v in merged.items() if v not in (None, "")})


def _long_date(d: Any) -> str:
    return "–" if d is None else f"{d.day} {d:%B %Y}"


ENV.filters.update(pounds=_pounds, money=_money, long_date=_long_date, qs=_qs)


def _install_globals() -> None:
    from openpbr.web.nav import nav_items
    from openpbr.web.outcomes import _fmt
    from openpbr.web.viewer import grant_text

    ENV.filters["grant_text"] = grant_text
    ENV.globals["fmt"] = _fmt
    ENV.globals["nav_items"] = nav_items


_install_globals()


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the viewer, the CSRF token and a fresh CSP nonce for the template's one inline script."""
    nonce = secrets.token_urlsafe(16)
    viewer = context.pop("viewer", None) or getattr(request.state, "viewer", None)
    html = ENV.get_template(template).render(
        request=request, viewer=viewer, csrf=csrf_token(request), cspNonce=nonce, assetPath=f"{ASSETS}/assets",
        assets=ASSETS, service=SERVICE, dev_signin=request.app.state.settings.dev_signin, **context,
    )
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; img-src 'self' data:; style-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    remember_csrf_seed(request, response)
    return response
