"""Request ids, secure headers, upload size limits and a sign-in rate limit."""

from __future__ import annotations

import time
import uuid
from collections import defaultdict, deque

from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import Response

SECURE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cache-Control": "no-store",
}
# The interactive docs load their own script from the page; everything else is same-origin only.
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
DOCS_CSP = ("default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline' https:; "
            "script-src 'self' 'unsafe-inline' https:; frame-ancestors 'none'")


class RequestContext(BaseHTTPMiddleware):
    """Gives each request an id (echoed as X-Request-Id) and adds the secure headers to every answer."""

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        incoming = request.headers.get("x-request-id", "")
        request.state.request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-Id"] = request.state.request_id
        for k, v in SECURE_HEADERS.items():
            response.headers.setdefault(k, v)
        docs = request.url.path in ("/docs", "/redoc")
        response.headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
        return response


class BodyLimit(BaseHTTPMiddleware):
    """Refuses bodies larger than the limit before reading them (Content-Length), and while reading."""

    def __init__(self, app, max_bytes: int) -> None:  # type: ignore[no-untyped-def]
        super().__init__(app)
        self.max_bytes = max_bytes

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > self.max_bytes:
            from openpbr.api.problems import problem

            return problem(request, 413, "Payload too large",
                           f"the upload is larger than the limit of {self.max_bytes:,} bytes", "PAYLOAD_TOO_LARGE")
        return await call_next(request)


class RateLimiter:
    """A sliding-window count per client address, for sign-in routes (not a substitute for a WAF)."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self.hits: dict[str, deque[float]] = defaultdict(deque)

    def allow(self, key: str) -> bool:
        now = time.monotonic()
        q = self.hits[key]
        while q and q[0] < now - 60:
            q.popleft()
        if len(q) >= self.per_minute:
            return False
        q.append(now)
        return True
