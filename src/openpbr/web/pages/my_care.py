"""A service user's own pages, in plain words: my care, who has looked at my record, my letter."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from sqlalchemy import select

from openpbr.errors import NotFound
from openpbr.web.templating import render
from openpbr.web.viewer import AuditedSessionDep, Viewer, may, today

router = APIRouter()
Own = Annotated[Viewer, Depends(may("my_care:read"))]


def _view(request: Request, viewer: Viewer, session):  # type: ignore[no-untyped-def]
    from openpbr.records.models import ClusterPeriod, Organisation, ServiceUser
    from openpbr.services.records import my_care

    person = viewer.scope.person
    if not person:
        raise NotFound("not found")
    on = today(request)
    view = my_care(session, viewer.scope, person=person, as_of=on)
    payer = provider = None
    if view.cluster is not None:
        comm = select(Organisation.name, Organisation.ods_code).join(
            ClusterPeriod, ClusterPeriod.commissioner_id == Organisation.id)
        prov = select(Organisation.name, Organisation.ods_code).join(
            ClusterPeriod, ClusterPeriod.provider_id == Organisation.id)
        cond = (ClusterPeriod.service_user_id == select(ServiceUser.id).where(ServiceUser.pseudo_id == person)
                .scalar_subquery(), ClusterPeriod.start_on == view.since)
        payer = session.execute(comm.where(*cond)).first()
        provider = session.execute(prov.where(*cond)).first()
    return view, payer, provider, on


def _meaning(view) -> str | None:  # type: ignore[no-untyped-def]
    """What the cluster's group means, in plain words."""
    from openpbr.reference import builtin_dataset
    from openpbr.web.pages.home import SUPER_CLASS_WORDS

    if view.cluster is None:
        return None
    group = builtin_dataset("clusters").resolve(view.cluster, view.since).value.get("super_class")
    return SUPER_CLASS_WORDS.get(group)


@router.get("/my-care")
def my_care_page(request: Request, viewer: Own, session: AuditedSessionDep):
    view, payer, provider, on = _view(request, viewer, session)
    return render(request, "my_care.html", title="My care", view=view, payer=payer, provider=provider, on=on,
                  meaning=_meaning(view))


@router.get("/my-care/letter")
def my_care_letter(request: Request, viewer: Own, session: AuditedSessionDep):
    view, payer, provider, on = _view(request, viewer, session)
    return render(request, "my_care_letter.html", title="My care letter", view=view, payer=payer, provider=provider,
                  on=on, meaning=_meaning(view))


@router.get("/my-care/access")
def who_has_looked(request: Request, viewer: Annotated[Viewer, Depends(may("audit:read_own"))], session: AuditedSessionDep):
    from openpbr.web.records import who_looked

    entries = who_looked(session, viewer.scope, today(request))
    return render(request, "my_care_access.html", title="Who has looked at my record", entries=entries)
