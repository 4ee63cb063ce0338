"""RFC 9457 problem details: every error answer is ``application/problem+json``.

The ``code`` member carries the same named codes as the CLI (``BAD_INPUT``,
``CONFLICT``, ``NOT_FOUND`` ...), and ``request_id`` ties the answer to the
server's log line. ``detail`` never names a person.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openpbr.errors import AccessDenied, ConflictError, DatabaseError, InputError, NotFound, OpenPbRError

PROBLEM_JSON = "application/problem+json"

_STATUS = [
    (NotFound, 404),  # AccessDenied included: outside scope reads as not found
    (ConflictError, 409),
    (DatabaseError, 503),
    (InputError, 422),
]


class PreconditionFailed(ConflictError):
    """If-Match did not match the record's current ETag: someone else changed it."""

    code = "PRECONDITION_FAILED"


class PreconditionRequired(InputError):
    code = "PRECONDITION_REQUIRED"


class Unauthenticated(OpenPbRError):
    code = "UNAUTHENTICATED"


class TooManyRequests(OpenPbRError):
    code = "TOO_MANY_REQUESTS"


class PayloadTooLarge(InputError):
    code = "PAYLOAD_TOO_LARGE"


def status_for(exc: OpenPbRError) -> int:
    special = {PreconditionFailed: 412, PreconditionRequired: 428, Unauthenticated: 401, TooManyRequests: 429,
               PayloadTooLarge: 413}
    for cls, status in special.items():
        if isinstance(exc, cls):
            return status
    for cls, status in _STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def problem(request: Request, status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"https://openpbr.org/problems/{code.lower().replace('_', '-')}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
        **extra,
    }
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


TITLES = {400: "Bad request", 401: "Sign-in required", 404: "Not found", 409: "Conflict",
          412: "Precondition failed", 413: "Payload too large", 422: "Unprocessable input",
          428: "Precondition required", 429: "Too many requests", 503: "Database unavailable"}


async def openpbr_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, OpenPbRError)
    status = status_for(exc)
    detail = "not found" if isinstance(exc, AccessDenied) else str(exc)
    return problem(request, status, TITLES.get(status, "Error"), detail, exc.code)


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    # Name the field, never echo the value (it may be an NHS number).
    errors = [{"field": ".".join(str(p) for p in e.get("loc", ())), "message": e.get("msg", "")}
              for e in exc.errors()]
    first = errors[0] if errors else {"field": "", "message": "invalid"}
    return problem(request, 422, "Unprocessable input", f"{first['field']}: {first['message']}", "BAD_INPUT",
                   errors=errors)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 401: "UNAUTHENTICATED"}.get(exc.status_code, "HTTP_ERROR")
    return problem(request, exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail), code)


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return problem(request, 503, "Database unavailable", "the database refused the operation; nothing was saved",
                       "DATABASE")
    return problem(request, 500, "Internal error", "an internal error occurred; nothing half-written was kept",
                   "INTERNAL")
