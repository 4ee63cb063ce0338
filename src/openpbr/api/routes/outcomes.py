"""Outcomes: indicators, SPC series and gaming findings for a window of months."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel

from openpbr.access import Scope
from openpbr.api.deps import allow
from openpbr.services import outcomes as svc

router = APIRouter(prefix="/outcomes", tags=["outcomes"])
Reader = Annotated[Scope, Depends(allow("outcomes:read"))]
Month = Annotated[str, Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")]


def _source(request: Request) -> svc.Source:
    return svc.Source(database_url=str(request.app.state.settings.database_url))


@router.get("/indicators", response_model=list[svc.IndicatorRow],
            summary="Every indicator per unit and month in the window, within scope")
def indicators(request: Request, scope: Reader, first: Month, last: Month, unit_type: str | None = None,
               unit: str | None = None, indicator: str | None = None) -> Any:
    run = svc.indicators(_source(request), svc.Window.months(first, last, "first", "last"), scope)
    return [r for r in run.rows() if (unit_type is None or r.unit_type == unit_type) and (unit is None or r.unit == unit)
            and (indicator is None or r.indicator_id == indicator)]


@router.get("/spc", response_model=svc.SpcSeries, summary="An XmR series with the Making Data Count rules")
def spc(request: Request, scope: Reader, indicator: str, first: Month, last: Month, unit_type: str = "trust",
        unit: str = "all") -> Any:
    svc.check_unit_type(unit_type)
    run = svc.indicators(_source(request), svc.Window.months(first, last, "first", "last"), scope)
    return svc.spc_series(run.results, indicator, unit_type, unit)


class GamingOut(BaseModel):
    checks_run: int
    flagged: int
    summary: str
    thresholds: str
    findings: list[svc.FindingOut]


@router.get("/gaming", response_model=GamingOut,
            summary="Gaming and cream-skimming checks with their reasons and numbers")
def gaming(request: Request, scope: Reader, first: Month, last: Month) -> GamingOut:
    g = svc.gaming(_source(request), svc.Window.months(first, last, "first", "last"), scope)
    return GamingOut(checks_run=g.checks_run, flagged=len(g.flagged), summary=g.summary(),
                     thresholds=g.thresholds_ref, findings=list(g.flagged))
