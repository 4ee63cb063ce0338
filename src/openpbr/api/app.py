"""The FastAPI application: ``create_app(settings)``; ``openpbr serve`` runs it with uvicorn."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from openpbr.api import problems
from openpbr.api.identity import TokenVerifier
from openpbr.api.middleware import BodyLimit, RateLimiter, RequestContext
from openpbr.api.settings import ApiSettings
from openpbr.errors import OpenPbRError


def create_app(settings: ApiSettings) -> FastAPI:
    from openpbr.cli import package_version
    from openpbr.db import make_engine

    app = FastAPI(
        title="OpenPbR API",
        version=package_version(),
        description=(
            "Payment by Results for mental health care clusters: people, assessments and cluster decisions, "
            "care records, settlement, outcomes and reference data. Errors are RFC 9457 problem details; "
            "lists use cursor pagination; POSTs that create records or move money take an Idempotency-Key; "
            "edits take If-Match."
            + (" **Development sign-in is ON: not for real data.**" if settings.dev_signin else "")
        ),
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.engine = make_engine(settings.database_url)
    app.state.verifier = TokenVerifier(settings)
    app.state.signin_limiter = RateLimiter(settings.signin_rate_per_minute)
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes)
    app.add_middleware(RequestContext)
    app.add_exception_handler(OpenPbRError, problems.openpbr_error)
    app.add_exception_handler(RequestValidationError, problems.validation_error)
    app.add_exception_handler(StarletteHTTPException, problems.http_error)
    app.add_exception_handler(Exception, problems.internal_error)
    from openpbr.api.jobs import JobRunner
    from openpbr.api.routes import audit, auth, care, imports, outcomes, people, reference, settlement

    app.state.jobs = JobRunner()
    for module in (auth, reference, people, care, imports, settlement, outcomes, audit):
        app.include_router(module.router, prefix="/v1", responses=problems.COMMON_RESPONSES)
    from openpbr.web import mount

    mount(app, settings)
    return app
