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
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from openpbr.errors import AccessDenied, ConflictError, DatabaseError, InputError, NotFound, OpenPbRError

PROBLEM_JSON = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details, with OpenPbR's named code and the request id."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str
    request_id: str | None = None
    errors: list[dict[str, str]] | None = None


def _described(status: int, text: str) -> dict[str, Any]:
    return {"description": text, "model": Problem, "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


# Documented on every route: what any request may meet before or around the route itself.
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _described(400, "Bad request: the body could not be read"),
    401: _described(401, "Sign-in required, or the token is not valid"),
    404: _described(404, "Not found, or outside the caller's scope (the two answer alike)"),
    405: _described(405, "Method not allowed"),
    413: _described(413, "Payload too large"),
    422: _described(422, "Unprocessable input: the field is named, the value never echoed"),
    429: _described(429, "Too many requests"),
    500: _described(500, "Internal error"),
    503: _described(503, "Database unavailable"),
}
WRITE_RESPONSES: dict[int | str, dict[str, Any]] = {
    409: _described(409, "Conflict: someone else changed the record first"),
    412: _described(412, "Precondition failed: If-Match names an older version"),
    428: _described(428, "Precondition required: send If-Match or Idempotency-Key"),
}

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


def problem(request: Request, status: int, title: str, detail: str, code: str,
            headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
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
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


TITLES = {400: "Bad request", 401: "Sign-in required", 404: "Not found", 405: "Method not allowed", 409: "Conflict",
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
    return problem(request, exc.status_code, TITLES.get(exc.status_code, "Error"), str(exc.detail), code,
                   headers=dict(exc.headers or {}))


async def internal_error(request: Request, exc: Exception) -> JSONResponse:
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return problem(request, 503, "Database unavailable", "the database refused the operation; nothing was saved",
                       "DATABASE")
    return problem(request, 500, "Internal error", "an internal error occurred; nothing half-written was kept",
                   "INTERNAL")
