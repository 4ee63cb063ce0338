"""Per-request dependencies: the database session, the caller's scope, and the policy check."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from openpbr.access import Role, Scope, require
from openpbr.api.identity import ROLE_HEADER, Principal
from openpbr.api.problems import Unauthenticated
from openpbr.db import ConflictError


def get_session(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed when the route returns, rolled back on any error."""
    from sqlalchemy.orm.exc import StaleDataError

    session = Session(request.app.state.engine, expire_on_commit=False)
    if session.get_bind().dialect.name == "sqlite" and writes(request):
        # SQLite lets one writer in, and a transaction that read before another writer committed cannot
        # write after it: take the write lock first (waiting up to the busy timeout) so requests queue
        from sqlalchemy import text

        session.execute(text("UPDATE audit_log SET seq = seq WHERE seq < 0"))  # locks, changes nothing
    try:
        yield session
        session.commit()
    except StaleDataError:
        session.rollback()
        raise ConflictError("the record was changed by someone else; nothing was saved. Reload and try again") from None
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# Requests that write through the request's own session: reads of a person's record (they append an
# audit entry) and the people routes' writes. Settlement runs and imports write through their own
# connections, so they must not hold this session's lock.
WRITES_IN_SESSION = re.compile(r"^/v1/(my-care|people(/[^/]+(/(decisions|discharge))?)?)$")


def writes(request: Request) -> bool:
    path = request.url.path
    if request.method == "GET":
        return path == "/v1/my-care" or (path.startswith("/v1/people/") and path.count("/") == 3)
    return request.method == "POST" and bool(WRITES_IN_SESSION.match(path))


def get_principal(request: Request) -> Principal:
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth.lower().startswith("bearer ") else request.cookies.get("openpbr_token")
    if not token:
        raise Unauthenticated("sign in first: send a bearer token")
    principal: Principal = request.app.state.verifier.verify(token)
    return principal


def get_scope(
    request: Request,
    principal: Annotated[Principal, Depends(get_principal)],
    session: Annotated[Session, Depends(get_session)],
    role: Annotated[str | None, Header(alias=ROLE_HEADER)] = None,
) -> Scope:
    """The active grant's scope; a service user's person is found from the verified NHS number."""
    person = None
    scope = principal.scope(role)
    if scope.role is Role.SERVICE_USER:
        from openpbr.api.people import person_for_verified_nhs_number

        person = person_for_verified_nhs_number(session, principal.nhs_number)
        scope = principal.scope(role, person=person)
    from openpbr.api.rls import apply_scope

    apply_scope(session, scope)  # the database's own second layer (PostgreSQL)
    request.state.scope = scope
    return scope


def allow(action: str) -> Callable[..., Scope]:
    """A dependency that checks the policy table for ``action`` and yields the scope."""

    def check(scope: Annotated[Scope, Depends(get_scope)]) -> Scope:
        require(scope, action)
        return scope

    check.__name__ = f"allow_{action.replace(':', '_')}"
    check.openpbr_action = action  # type: ignore[attr-defined]  # read by the access-matrix test
    return check


SessionDep = Annotated[Session, Depends(get_session)]
