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
