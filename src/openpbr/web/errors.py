"""Error pages: the NHS.UK patterns, never a traceback, never a value from the request."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import Response

from openpbr.web.security import TOKEN_COOKIE, CsrfRefused, clear_cookie

log = logging.getLogger("openpbr.web")


def error_page(request: Request, exc: Exception) -> Response:
    from fastapi.exceptions import RequestValidationError
    from starlette.exceptions import HTTPException

    from openpbr.api.problems import TooManyRequests, Unauthenticated
    from openpbr.errors import ConflictError, InputError, NotFound, OpenPbRError
    from openpbr.web.app import redirect
    from openpbr.web.templating import render

    if isinstance(exc, Unauthenticated):
        response = redirect("/sign-in")
        clear_cookie(request, response, TOKEN_COOKIE)
        return response
    if isinstance(exc, NotFound) or isinstance(exc, HTTPException) and exc.status_code == 404:
        return render(request, "errors/not_found.html", 404, title="Page not found")
    if isinstance(exc, CsrfRefused):
        return render(request, "errors/problem.html", 403, title="The form could not be sent",
                      heading="The form could not be sent", detail=str(exc))
    if isinstance(exc, ConflictError):
        return render(request, "errors/problem.html", 409, title="Someone else changed this record",
                      heading="Someone else changed this record", detail=str(exc))
    if isinstance(exc, TooManyRequests):
        return render(request, "errors/problem.html", 429, title="Too many attempts",
                      heading="Too many attempts", detail=str(exc))
    if isinstance(exc, (InputError, RequestValidationError)) or isinstance(exc, HTTPException) and exc.status_code < 500:
        status = getattr(exc, "status_code", 400)
        detail = str(exc) if isinstance(exc, InputError) else "The address or the form sent was not one this service understands."
        return render(request, "errors/problem.html", status, title="There is a problem",
                      heading="There is a problem", detail=detail)
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):  # busy or unreachable: nothing half-written was kept
        return render(request, "errors/problem.html", 503, title="The service is busy",
                      heading="The service is busy", detail="Nothing was saved. Try again in a moment.")
    if isinstance(exc, OpenPbRError):
        return render(request, "errors/problem.html", 400, title="There is a problem", heading="There is a problem",
                      detail=str(exc))
    log.error("internal error on a page (request %s): %s", getattr(request.state, "request_id", "-"),
              exc.__class__.__name__)
    return render(request, "errors/problem.html", 500, title="Sorry, there is a problem with the service",
                  heading="Sorry, there is a problem with the service",
                  detail="Try again later. If it keeps happening, quote this reference: "
                         f"{getattr(request.state, 'request_id', '-')}")
