"""Clinician and team lead pages: caseload, a person's timeline, the MHCT form, registering a person, the review worklist."""

from __future__ import annotations

import uuid
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from openpbr.clustering.ratings import ALLOCATABLE_CLUSTERS, ITEM_CODES
from openpbr.errors import NotFound
from openpbr.web.app import redirect
from openpbr.web.assess import RATINGS, REASONS, from_query, item_labels, problem_types, read_form
from openpbr.web.records import caseload, cluster_name, person_in_scope, person_record
from openpbr.web.security import checked_form
from openpbr.web.templating import render
from openpbr.web.viewer import AuditedSessionDep, SessionDep, Viewer, may, today

router = APIRouter()
Reader = Annotated[Viewer, Depends(may("records:read"))]
Assessor = Annotated[Viewer, Depends(may("assessments:decide"))]
Registrar = Annotated[Viewer, Depends(may("people:register"))]
CASELOAD_PAGE = 100  # rows per caseload page


@router.get("/caseload")
def caseload_page(request: Request, viewer: Reader, session: SessionDep):
    on = today(request)
    rows = caseload(session, viewer.scope, on)
    raw = request.query_params.get("page", "1")
    pages = max(1, -(-len(rows) // CASELOAD_PAGE))
    page = min(max(int(raw) if raw.isdigit() else 1, 1), pages)
    shown = rows[(page - 1) * CASELOAD_PAGE: page * CASELOAD_PAGE]
    return render(request, "caseload.html", title="Caseload" if page == 1 else f"Caseload, page {page} of {pages}",
                  rows=shown, total=len(rows), page=page, pages=pages, on=on, team=viewer.scope.team)


@router.get("/people/new")
def register_form(request: Request, viewer: Registrar, session: SessionDep):
    return render(request, "register.html", title="Register a person", form={}, commissioners=_commissioners(session))


def _commissioners(session) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    from openpbr.records.models import Organisation

    return [(o.ods_code, o.name) for o in session.scalars(
        select(Organisation).where(Organisation.role == "commissioner").order_by(Organisation.ods_code))]


@router.post("/people/new")
async def register(request: Request, viewer: Registrar, session: SessionDep):
    from openpbr.records import audit
    from openpbr.records.models import Organisation, Referral, ServiceUser, Team
    from openpbr.records.nhs import normalise_nhs_number
    from openpbr.services.records import register_person

    form = await checked_form(request)
    on = today(request)
    data = {k: str(form.get(k) or "").strip() for k in ("nhs_number", "birth_year", "commissioner", "psychosis_history")}
    errors, fields = [], {}

    def bad(field: str, message: str) -> None:
        fields[field] = message
        errors.append({"text": message, "href": f"#{field}"})

    nhs = None
    try:
        nhs = normalise_nhs_number(data["nhs_number"]) if data["nhs_number"] else None
    except Exception:
        bad("nhs_number", "Enter a valid NHS number: 10 digits, the last one a check digit")
    if not data["nhs_number"]:
        bad("nhs_number", "Enter the person's NHS number")
    year = int(data["birth_year"]) if data["birth_year"].isdigit() else None
    if year is None or not (on.year - 120 <= year <= on.year):
        bad("birth_year", f"Enter the year of birth as 4 digits, between {on.year - 120} and {on.year}")
    commissioners = _commissioners(session)
    if data["commissioner"] not in dict(commissioners):
        bad("commissioner", "Select the commissioner who pays for this person's care")
    if data["psychosis_history"] not in ("yes", "no", "unknown"):
        bad("psychosis_history", "Select whether the person has had psychosis before")
    if nhs and session.scalar(select(ServiceUser.id).where(ServiceUser.nhs_number == nhs)) is not None:
        bad("nhs_number", "This NHS number is already registered: find the person in the caseload instead")
    provider_code = next(iter(sorted(viewer.scope.organisations)), None)
    team = session.scalar(select(Team).where(Team.code == viewer.scope.team)) if viewer.scope.team else None
    if team is None:
        bad("nhs_number", "Your role has no team to register people to")
    if errors:
        return render(request, "register.html", 422, title="Register a person", form=data, errors=errors,
                      field_errors=fields, commissioners=commissioners)
    prov = session.scalar(select(Organisation).where(Organisation.ods_code == provider_code))
    comm = session.scalar(select(Organisation).where(Organisation.ods_code == data["commissioner"]))
    if prov is None or comm is None or team.provider_id != prov.id:
        raise NotFound("not found")
    pseudo = "W" + uuid.uuid4().hex[:11].upper()
    register_person(session, viewer.scope, person=pseudo, nhs_number=nhs, birth_year=year, as_of=on,
                    psychosis_history={"yes": True, "no": False}.get(data["psychosis_history"]))
    su = session.scalar(select(ServiceUser).where(ServiceUser.pseudo_id == pseudo))
    session.add(Referral(service_user_id=su.id, provider_id=prov.id, commissioner_id=comm.id, team_id=team.id,
                         received_on=on))
    audit.record(session, viewer.scope.actor, "referral", "service_user", pseudo, team=team.code, on=on)
    return redirect(f"/people/{pseudo}?registered=1")


@router.get("/people/{pseudo_id}")
def person_page(pseudo_id: str, request: Request, viewer: Reader, session: AuditedSessionDep):
    record = person_record(session, viewer.scope, pseudo_id, today(request))
    return render(request, "person.html", title=f"Person {pseudo_id}", record=record,
                  saved=request.query_params.get("saved"), registered=request.query_params.get("registered"),
                  can_assess=viewer.may("assessments:decide"))


def _form_context(session, su, request: Request) -> dict:  # type: ignore[no-untyped-def]
    from openpbr.records.process import open_period

    current = open_period(session, su.id)
    return dict(items=item_labels(), ratings=RATINGS, reasons=REASONS, problem_types=problem_types(),
                current=current, current_name=cluster_name(current.chosen_cluster, current.start_on) if current else "",
                on=today(request))


@router.get("/people/{pseudo_id}/assess")
def assess_form(pseudo_id: str, request: Request, viewer: Assessor, session: SessionDep):
    su = person_in_scope(session, viewer.scope, pseudo_id)
    ctx = _form_context(session, su, request)
    form = from_query(request.query_params, ctx["on"]) if request.query_params.get("ratings") else None
    default = {"assessed_on": ctx["on"].isoformat(), "reason": "review" if ctx["current"] else "initial"}
    values = ({"assessed_on": form.assessed_on.isoformat() if form.assessed_on else "", "reason": form.reason,
               "item_08_type": form.item_08_type, **form.ratings} if form else default)
    return render(request, "assess.html", title=f"MHCT assessment for {pseudo_id}", person=pseudo_id, values=values,
                  **ctx)


@router.post("/people/{pseudo_id}/assess")
async def assess_submit(pseudo_id: str, request: Request, viewer: Assessor, session: SessionDep):
    su = person_in_scope(session, viewer.scope, pseudo_id)
    data = await checked_form(request)
    ctx = _form_context(session, su, request)
    form = read_form(data, ctx["on"])
    if form.errors:
        values = {k: str(data.get(k) or "") for k in ("assessed_on", "reason", "item_08_type", *ITEM_CODES)}
        return render(request, "assess.html", 422, title=f"MHCT assessment for {pseudo_id}", person=pseudo_id,
                      values=values, errors=form.errors, field_errors=form.field_errors, **ctx)
    return redirect(f"/people/{pseudo_id}/assess/check?{urlencode(form.query())}")


def _suggestion(session, su, form):  # type: ignore[no-untyped-def]
    from openpbr.clustering.profiles import load_profiles
    from openpbr.records.models import Assessment
    from openpbr.records.process import open_period, suggestion_for

    current = open_period(session, su.id)
    draft = Assessment(clust_id="draft", assessed_on=form.assessed_on, reason=form.reason,
                       item_08_type=form.item_08_type or None, **dict(zip(ITEM_CODES, form.values)))
    allocation = suggestion_for(su, draft, current.chosen_cluster if current else None)
    return allocation, load_profiles(), current


def _explanation(allocation, profiles, form) -> list[dict]:  # type: ignore[no-untyped-def]
    from openpbr.clustering.explain import band_of

    labels = item_labels()
    out = []
    for item, value in zip(labels, form.values):
        band = band_of(profiles, allocation.cluster, item["code"], value) if allocation.cluster and allocation.cluster != "00" else ""
        out.append({**item, "rating": value, "band": band})
    return out


def _check_page(request: Request, pseudo_id: str, session, su, form, status: int = 200, **extra):  # type: ignore[no-untyped-def]
    allocation, profiles, current = _suggestion(session, su, form)
    from openpbr.records.careplans import check_transition

    return render(request, "assess_check.html", status, title=f"Check the suggested cluster for {pseudo_id}",
                  person=pseudo_id, form=form, allocation=allocation, explanation=_explanation(allocation, profiles, form),
                  current=current, clusters=[(c, cluster_name(c, form.assessed_on)) for c in ALLOCATABLE_CLUSTERS],
                  transition=check_transition(current.chosen_cluster if current else None, allocation.cluster,
                                              form.assessed_on) if allocation.cluster else None,
                  back=f"/people/{pseudo_id}/assess?{urlencode(form.query())}", hidden=form.query(), **extra)


@router.get("/people/{pseudo_id}/assess/check")
def assess_check(pseudo_id: str, request: Request, viewer: Assessor, session: SessionDep):
    su = person_in_scope(session, viewer.scope, pseudo_id)
    form = from_query(request.query_params, today(request))
    if form.errors:
        return redirect(f"/people/{pseudo_id}/assess")
    return _check_page(request, pseudo_id, session, su, form)


@router.post("/people/{pseudo_id}/assess/decide")
async def assess_decide(pseudo_id: str, request: Request, viewer: Assessor, session: SessionDep):
    from openpbr.records import process
    from openpbr.records.models import Organisation, Referral, Team
    from openpbr.services.records import PeriodSeen, assess_and_decide

    su = person_in_scope(session, viewer.scope, pseudo_id)
    data = await checked_form(request)
    form = from_query({k: str(data.get(k) or "") for k in ("on", "reason", "ratings", "item8")}, today(request))
    if form.errors:
        return redirect(f"/people/{pseudo_id}/assess")
    decision = str(data.get("decision") or "")
    chosen = str(data.get("chosen_cluster") or "")
    reason = str(data.get("override_reason") or "").strip()
    transition_reason = str(data.get("transition_reason") or "").strip() or None
    errors, fields = [], {}

    def bad(field: str, message: str) -> None:
        fields[field] = message
        errors.append({"text": message, "href": f"#{field}"})

    if decision not in ("confirm", "override"):
        bad("decision", "Select whether you confirm the suggested cluster or choose another")
    if decision == "override":
        if chosen not in ALLOCATABLE_CLUSTERS:
            bad("chosen_cluster", "Select the cluster you choose")
        if not reason:
            bad("override_reason", "Give the reason for choosing a cluster other than the suggestion")
    if not errors:
        current = process.open_period(session, su.id)
        team = session.scalar(select(Team).where(Team.code == viewer.scope.team)) if viewer.scope.team else None
        commissioner = None
        if current is not None:
            commissioner = session.scalar(select(Organisation.ods_code).where(Organisation.id == current.commissioner_id))
        else:
            commissioner = session.scalar(select(Organisation.ods_code).join(Referral, Referral.commissioner_id == Organisation.id)
                                          .where(Referral.service_user_id == su.id).order_by(Referral.received_on.desc()).limit(1))
        provider = next(iter(sorted(viewer.scope.organisations)), None)
        if provider is None or commissioner is None:
            raise NotFound("not found")
        seen = PeriodSeen(int(data["seen_id"]), int(data["seen_version"])) if str(data.get("seen_id") or "").isdigit() \
            and str(data.get("seen_version") or "").isdigit() else PeriodSeen(None)
        try:
            with session.begin_nested():
                assess_and_decide(session, viewer.scope, person=pseudo_id, clust_id=f"WEB-{uuid.uuid4().hex[:16]}",
                                  assessed_on=form.assessed_on, as_of=today(request), assessor=viewer.scope.actor,
                                  ratings=form.values, provider=provider, commissioner=commissioner,
                                  reason=form.reason, team=team.code if team else None,
                                  item_08_type=form.item_08_type or None,
                                  chosen_cluster=chosen if decision == "override" else None,
                                  override_reason=reason or None, transition_reason=transition_reason, seen=seen)
        except process.ReasonRequired as exc:
            if "transition" in str(exc):
                bad("transition_reason", "Give the reason for a move outside the care transition rules")
            else:
                bad("override_reason", "Give the reason for choosing a cluster that differs from the suggestion "
                                       "or breaks a red rule")
        except process.ProcessError as exc:
            bad("decision", str(exc))
    if errors:
        return _check_page(request, pseudo_id, session, su, form, 422, errors=errors, field_errors=fields,
                           posted={"decision": decision, "chosen_cluster": chosen, "override_reason": reason,
                                   "transition_reason": transition_reason or ""})
    return redirect(f"/people/{pseudo_id}?saved=1")


@router.get("/worklist")
def worklist_page(request: Request, viewer: Annotated[Viewer, Depends(may("worklist:read"))], session: SessionDep):
    from openpbr.web.worklist import worklist

    q = request.query_params
    on = today(request)
    team = q.get("team", viewer.scope.team or "")
    view = worklist(session, viewer.scope, on, team=team or None, status=q.get("status") or None,
                    coordinator=q.get("coordinator") or None, sort=q.get("sort") or "review_due",
                    descending=q.get("order") == "desc")
    return render(request, "worklist.html", title="Reviews due", view=view, on=on, q={**dict(q), "team": team})
