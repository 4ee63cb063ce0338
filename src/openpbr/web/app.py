"""Installing the pages into the API's FastAPI app."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from openpbr.api.settings import ApiSettings
from openpbr.web.templating import HERE

API_PATHS = ("/v1", "/openapi.json", "/docs", "/redoc")


def is_page(request: Request) -> bool:
    return not request.url.path.startswith(API_PATHS)


def _page_errors(app: FastAPI) -> None:
    """Pages answer errors with NHS.UK error pages; the API keeps its problem+json."""
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from openpbr.errors import OpenPbRError
    from openpbr.web.errors import error_page

    for exc_type in (OpenPbRError, RequestValidationError, StarletteHTTPException, Exception):
        api_handler = app.exception_handlers.get(exc_type)

        def make(api: Callable[..., Awaitable[Response]] | None) -> Callable[..., Awaitable[Response]]:
            async def handler(request: Request, exc: Exception) -> Response:
                if is_page(request) or api is None:
                    return error_page(request, exc)
                return await api(request, exc)

            return handler

        app.add_exception_handler(exc_type, make(api_handler))


class RetryBusyReads:
    """Re-runs a page GET that met a busy database (SQLite lets one writer in at a time).

    Reading a person's record writes its audit entry, so two pages read at
    once can collide; the loser's transaction was rolled back whole, so the
    request is simply run again (a GET changes nothing else). The answer is
    buffered until the final attempt, so nothing half-sent ever reaches the
    browser.
    """

    ATTEMPTS = 10

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        import asyncio
        import random

        from sqlalchemy.exc import OperationalError

        from openpbr.services.records import _is_busy

        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(API_PATHS):
            await self.app(scope, receive, send)
            return
        for attempt in range(self.ATTEMPTS):
            messages: list = []

            async def capture(message, into: list = messages) -> None:  # type: ignore[no-untyped-def]
                into.append(message)

            try:
                await self.app(scope, receive, capture)
                break
            except OperationalError as exc:
                if not _is_busy(exc) or attempt == self.ATTEMPTS - 1:
                    raise
                await asyncio.sleep(random.uniform(0.01, 0.05) * (attempt + 1))  # jitter: no lock-step retries
        for message in messages:
            await send(message)


def install(app: FastAPI, settings: ApiSettings) -> None:
    from openpbr.web.oidc import oidc_client
    from openpbr.web.pages import ROUTERS

    app.state.web_as_of = os.environ.get("OPENPBR_AS_OF") or None
    app.state.oidc = oidc_client(settings)  # one client: the issuer's metadata is fetched once
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    app.add_middleware(RetryBusyReads)
    for router in ROUTERS:
        app.include_router(router, include_in_schema=False)
    _page_errors(app)


def redirect(url: str) -> RedirectResponse:
    """POST-redirect-GET: 303 See Other."""
    return RedirectResponse(url, status_code=303)

