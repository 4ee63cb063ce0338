"""Reference data versions and price schedules: status, provenance, entries."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from openpbr.web.templating import render
from openpbr.web.viewer import Viewer, may

router = APIRouter()
Reader = Annotated[Viewer, Depends(may("reference:read"))]


@router.get("/reference")
def reference_list(request: Request, viewer: Reader):
    from openpbr.api.routes.reference import _load, _names, _summary

    rows = [_summary(*_load(n)) for n in _names()]
    return render(request, "reference.html", title="Reference data", rows=list(zip(_names(), rows)))


@router.get("/reference/{name}")
def reference_detail(name: str, request: Request, viewer: Reader):
    from openpbr.api.routes.reference import _load, _summary

    ds, status = _load(name)
    return render(request, "reference_detail.html", title=f"Reference data: {ds.dataset}", ds=_summary(ds, status),
                  entries=list(ds.entries))


@router.get("/roles")
def roles_page(request: Request, viewer: Annotated[Viewer, Depends(may("users:admin"))]):
    """Users and roles: users and their grants live at the identity provider; this is what each role may do."""
    from openpbr.access import POLICY, PSEUDONYMISED, Role
    from openpbr.api.dev_users import DEV_USERS
    from openpbr.web.viewer import ROLE_NAMES

    roles = [r for r in Role if r is not Role.LOCAL_OPERATOR]
    return render(request, "roles.html", title="Users and roles", roles=roles, names=ROLE_NAMES,
                  policy=sorted(POLICY.items()), pseudonymised=PSEUDONYMISED,
                  dev_users=DEV_USERS if request.app.state.settings.dev_signin else ())
