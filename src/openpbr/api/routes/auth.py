"""Sign-in: who am I, and the development sign-in (off unless asked for)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from openpbr.access import Scope
from openpbr.api.deps import SessionDep, get_principal, get_scope
from openpbr.api.dev_users import BY_KEY, DEV_USERS, dev_claims, dev_service_user_claims
from openpbr.api.identity import Principal
from openpbr.api.problems import TooManyRequests, Unauthenticated
from openpbr.errors import NotFound

router = APIRouter(tags=["identity"])


class GrantOut(BaseModel):
    role: str
    organisation: str | None
    team: str | None
    label: str


class Me(BaseModel):
    subject: str
    name: str
    grants: list[GrantOut]
    active: GrantOut
    development_sign_in: bool


@router.get("/me", response_model=Me, summary="The signed-in user, their roles and the active one")
def me(principal: Annotated[Principal, Depends(get_principal)], scope: Annotated[Scope, Depends(get_scope)]) -> Me:
    grants = [GrantOut(role=g.role.value, organisation=g.organisation, team=g.team, label=g.label())
              for g in principal.grants]
    active = next(g for g in grants if g.role == scope.role.value
                  and (g.organisation in scope.organisations or not scope.organisations))
    return Me(subject=principal.subject, name=principal.name, grants=grants, active=active,
              development_sign_in=principal.development)


class DevUserOut(BaseModel):
    key: str
    name: str
    grants: list[str]
    description: str


class DevSignIn(BaseModel):
    user: str
    person: str | None = None  # for a service user: the pseudonymous id of a person in the database


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
    development: bool = True


@router.get("/auth/dev-users", response_model=list[DevUserOut], summary="DEVELOPMENT sign-in: the seeded users")
def dev_users(request: Request) -> list[DevUserOut]:
    if not request.app.state.settings.dev_signin:
        raise NotFound("not found")
    return [DevUserOut(key=u.key, name=u.name, grants=list(u.grants), description=u.description)
            for u in DEV_USERS] + [DevUserOut(key="service-user", name="Dev Service User", grants=["service_user"],
                                              description="A person of the database (give `person`)")]


@router.post("/auth/dev-token", response_model=Token, summary="DEVELOPMENT sign-in: a token for a seeded user")
def dev_token(body: DevSignIn, request: Request, session: SessionDep) -> Token:
    settings = request.app.state.settings
    if not settings.dev_signin:
        raise NotFound("not found")
    client = request.client.host if request.client else "unknown"
    if not request.app.state.signin_limiter.allow(client):
        raise TooManyRequests("too many sign-in attempts; wait a minute")
    if body.user == "service-user":
        from sqlalchemy import select

        from openpbr.records.models import ServiceUser

        nhs = session.scalar(select(ServiceUser.nhs_number).where(ServiceUser.pseudo_id == (body.person or "")))
        if nhs is None:
            raise Unauthenticated("no such person in this database")
        claims = dev_service_user_claims(body.person or "", nhs)
    else:
        user = BY_KEY.get(body.user)
        if user is None:
            raise Unauthenticated(f"no development user {body.user[:30]!r}; see /v1/auth/dev-users")
        claims = dev_claims(user)
    return Token(access_token=request.app.state.verifier.issue_dev_token(claims))
