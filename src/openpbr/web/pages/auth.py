"""Sign-in and sign-out, the development sign-in, OIDC, and the role switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import select

from openpbr.api.dev_users import BY_KEY, DEV_USERS, dev_claims, dev_service_user_claims
from openpbr.api.problems import TooManyRequests, Unauthenticated
from openpbr.errors import NotFound
from openpbr.web.app import redirect
from openpbr.web.oidc import end_flow, open_flow, save_flow
from openpbr.web.security import ROLE_COOKIE, TOKEN_COOKIE, checked_form, clear_cookie, set_cookie
from openpbr.web.templating import render
from openpbr.web.viewer import AnyViewer, SessionDep, SignedIn

router = APIRouter()
SERVICE_USER_CHOICES = 12  # people offered by the development person picker


def _limit(request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    if not request.app.state.signin_limiter.allow(client):
        raise TooManyRequests("too many sign-in attempts: wait a minute and try again")


def _signed_in(request: Request, token: str, role: str | None = None):  # type: ignore[no-untyped-def]
    response = redirect("/")
    set_cookie(request, response, TOKEN_COOKIE, token)
    if role:
        set_cookie(request, response, ROLE_COOKIE, role)
    else:
        clear_cookie(request, response, ROLE_COOKIE)
    return response


def _people(session) -> list[str]:  # type: ignore[no-untyped-def]
    from openpbr.records.models import ClusterPeriod, ServiceUser

    stmt = (select(ServiceUser.pseudo_id).join(ClusterPeriod, ClusterPeriod.service_user_id == ServiceUser.id)
            .where(ClusterPeriod.end_on.is_(None)).order_by(ServiceUser.pseudo_id).limit(SERVICE_USER_CHOICES))
    return list(session.scalars(stmt))


def _sign_in_page(request: Request, session, status: int = 200, **extra):  # type: ignore[no-untyped-def]
    settings = request.app.state.settings
    dev = settings.dev_signin
    users = [{"value": u.key, "text": u.name, "hint": {"text": u.description}} for u in DEV_USERS] if dev else []
    people = [{"value": "", "text": "Choose a person"}] + [{"value": p, "text": p} for p in (_people(session) if dev else [])]
    return render(request, "sign_in.html", status, title="Sign in", users=dev, user_items=users, person_items=people,
                  oidc=bool(settings.oidc_issuer and settings.oidc_audience), **extra)


@router.get("/sign-in")
def sign_in(request: Request, viewer: AnyViewer, session: SessionDep):
    return _sign_in_page(request, session)


@router.post("/sign-in/development")
async def dev_sign_in(request: Request, session: SessionDep):
    settings = request.app.state.settings
    if not settings.dev_signin:
        raise NotFound("not found")
    form = await checked_form(request)
    _limit(request)
    key = str(form.get("user") or "")
    if key == "service-user":
        from openpbr.records.models import ServiceUser

        person = str(form.get("person") or "")
        nhs = session.scalar(select(ServiceUser.nhs_number).where(ServiceUser.pseudo_id == person))
        if nhs is None:
            return _sign_in_page(request, session, 422, errors=[{"text": "Choose a person to sign in as", "href": "#person"}],
                          field_errors={"person": "Choose a person to sign in as"})
        claims = dev_service_user_claims(person, nhs)
    elif key in BY_KEY:
        claims = dev_claims(BY_KEY[key])
    else:
        return _sign_in_page(request, session, 422, errors=[{"text": "Choose who to sign in as", "href": "#user"}],
                             field_errors={"user": "Choose who to sign in as"})
    return _signed_in(request, request.app.state.verifier.issue_dev_token(claims))


@router.get("/sign-in/oidc")
async def oidc_start(request: Request):
    client = request.app.state.oidc
    if client is None:
        raise NotFound("not found")
    _limit(request)
    open_flow(request)
    response = await client.authorize_redirect(request, str(request.url_for("oidc_callback")))
    save_flow(request, response)
    return response


@router.get("/auth/callback", name="oidc_callback")
async def oidc_callback(request: Request):
    client = request.app.state.oidc
    if client is None:
        raise NotFound("not found")
    from authlib.integrations.base_client.errors import OAuthError

    open_flow(request)
    try:
        token = await client.authorize_access_token(request)
    except OAuthError:
        raise Unauthenticated("the identity provider did not confirm the sign-in") from None
    id_token = token.get("id_token")
    if not id_token:
        raise Unauthenticated("the identity provider sent no ID token")
    request.app.state.verifier.verify(id_token)  # the same checks every later request makes
    response = _signed_in(request, id_token)
    end_flow(request, response)
    return response


@router.post("/sign-out")
async def sign_out(request: Request):
    await checked_form(request)
    response = redirect("/signed-out")
    clear_cookie(request, response, TOKEN_COOKIE)
    clear_cookie(request, response, ROLE_COOKIE)
    return response


@router.get("/signed-out")
def signed_out(request: Request, viewer: AnyViewer):
    return render(request, "signed_out.html", title="You have signed out")


@router.post("/role")
async def switch_role(request: Request, viewer: SignedIn):
    form = await checked_form(request)
    wanted = str(form.get("role") or "")
    if not any(g.label() == wanted for g in viewer.grants):
        raise NotFound("not found")
    response = redirect("/")
    set_cookie(request, response, ROLE_COOKIE, wanted)
    return response
