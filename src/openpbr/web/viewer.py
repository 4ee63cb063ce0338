"""Who is looking at a page: the signed-in user, their active role and its scope."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from openpbr.access import Role, Scope, require
from openpbr.api.deps import get_session
from openpbr.api.identity import Grant, Principal
from openpbr.api.problems import Unauthenticated
from openpbr.web.security import ROLE_COOKIE, TOKEN_COOKIE

ROLE_NAMES = {
    Role.CLINICIAN: "Clinician", Role.TEAM_LEAD: "Team lead", Role.PROVIDER_FINANCE: "Provider finance",
    Role.COMMISSIONER: "Commissioner", Role.ANALYST: "Analyst", Role.ADMIN: "Administrator",
    Role.AUDITOR: "Auditor", Role.SERVICE_USER: "Service user", Role.LOCAL_OPERATOR: "Local operator",
}


def grant_text(g: Grant) -> str:
    where = " ".join(p for p in (g.team and f"team {g.team}", g.organisation and f"at {g.organisation}") if p)
    return f"{ROLE_NAMES[g.role]}{', ' + where if where else ''}"


@dataclass(frozen=True)
class Viewer:
    principal: Principal
    scope: Scope
    grant: Grant

    @property
    def role(self) -> Role:
        return self.scope.role

    @property
    def grants(self) -> tuple[Grant, ...]:
        return self.principal.grants

    def may(self, action: str) -> bool:
        from openpbr.access import allowed

        return allowed(self.scope, action)


def _principal(request: Request) -> Principal | None:
    token = request.cookies.get(TOKEN_COOKIE)
    if not token:
        return None
    return request.app.state.verifier.verify(token)


def load_viewer(request: Request, session: Session) -> Viewer | None:
    try:
        principal = _principal(request)
    except Unauthenticated:
        return None
    if principal is None or not principal.grants:
        return None
    wanted = request.cookies.get(ROLE_COOKIE)
    grant = next((g for g in principal.grants if g.label() == wanted), principal.grants[0])
    scope = principal.scope(grant.label())
    if scope.role is Role.SERVICE_USER:
        from openpbr.api.people import person_for_verified_nhs_number
        from openpbr.errors import NotFound

        try:
            person = person_for_verified_nhs_number(session, principal.nhs_number)
        except NotFound:  # no record linked to this sign-in: treated as not signed in, public pages still open
            return None
        scope = principal.scope(grant.label(), person=person)
    request.state.scope = scope
    return Viewer(principal, scope, grant)


def optional_viewer(request: Request, session: Annotated[Session, Depends(get_session)]) -> Viewer | None:
    v = load_viewer(request, session)
    request.state.viewer = v
    return v


def signed_in(request: Request, viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise Unauthenticated("sign in first")
    return viewer


def may(action: str) -> Callable[..., Viewer]:
    """A page dependency: the viewer, if their active role may perform ``action`` (else a 404 page)."""

    def check(viewer: Annotated[Viewer, Depends(signed_in)]) -> Viewer:
        require(viewer.scope, action)
        return viewer

    check.__name__ = f"may_{action.replace(':', '_')}"
    return check


def today(request: Request) -> date:
    """The date pages are as of: ``?as_of=YYYY-MM-DD``, else the server's configured date, else today."""
    raw = request.query_params.get("as_of") or request.app.state.web_as_of
    if raw:
        try:
            return date.fromisoformat(str(raw))
        except ValueError:
            pass
    return date.today()


SessionDep = Annotated[Session, Depends(get_session)]
AnyViewer = Annotated[Viewer | None, Depends(optional_viewer)]
SignedIn = Annotated[Viewer, Depends(signed_in)]


def audited_session(request: Request) -> Iterator[Session]:
    """A session for a page whose read writes an audit entry.

    On SQLite only one writer is ever in, and a transaction that read before
    another writer committed cannot write after it. Taking the write lock
    first (waiting for it, up to the busy timeout) makes such pages queue
    instead of failing; on PostgreSQL nothing changes.
    """
    from sqlalchemy import text

    gen = get_session(request)
    session = next(gen)
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE audit_log SET seq = seq WHERE seq < 0"))  # takes the write lock, changes nothing
    try:
        yield session
    except BaseException as exc:
        try:
            gen.throw(exc)
        except StopIteration:
            pass
        raise
    else:
        try:
            next(gen)
        except StopIteration:
            pass


AuditedSessionDep = Annotated[Session, Depends(audited_session)]
