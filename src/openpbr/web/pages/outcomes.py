"""Commissioner and provider outcome pages: indicators with XmR charts, gaming findings, a printable report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from openpbr.web.charts import xmr_svg
from openpbr.web.outcomes import chart, gaming_findings, indicator_results
from openpbr.web.templating import render
from openpbr.web.viewer import SessionDep, Viewer, may, today

router = APIRouter()
Reader = Annotated[Viewer, Depends(may("outcomes:read"))]
UNIT_TYPE_NAMES = {"trust": "Whole trust", "provider": "Provider", "commissioner": "Commissioner", "team": "Team",
                   "provider_commissioner": "Provider and commissioner"}


@router.get("/indicators")
def indicators_page(request: Request, viewer: Reader, session: SessionDep):
    results, definitions, start, end = indicator_results(session, viewer.scope, today(request))
    units = sorted({(ut, u) for ut, u in zip(results["unit_type"].to_pylist(), results["unit"].to_pylist())},
                   key=lambda k: (list(UNIT_TYPE_NAMES).index(k[0]) if k[0] in UNIT_TYPE_NAMES else 9, k[1]))
    q = request.query_params
    own = [k for k in units if k[0] != "trust"]
    default_unit = own[0] if own else (units[0] if units else ("trust", "all"))
    unit_key = q.get("unit") or f"{default_unit[0]}:{default_unit[1]}"
    unit_type, _, unit = unit_key.partition(":")
    if (unit_type, unit) not in units:
        unit_type, unit = default_unit
    chosen = [d for d in definitions if not q.get("indicator") or d.id == q.get("indicator")] or definitions
    charts = []
    for i, d in enumerate(chosen):
        c = chart(results, definitions, d.id, unit_type, unit)
        if c is not None:
            charts.append((c, xmr_svg(c, f"chart-{i}")))
    return render(request, "indicators.html", title="Indicators", charts=charts, definitions=definitions,
                  units=[(f"{ut}:{u}", f"{UNIT_TYPE_NAMES.get(ut, ut)}: {u}") for ut, u in units],
                  unit_key=f"{unit_type}:{unit}", indicator=q.get("indicator") or "", start=start, end=end)


@router.get("/gaming")
def gaming_page(request: Request, viewer: Reader, session: SessionDep):
    rows, start, end = gaming_findings(session, viewer.scope, today(request))
    flagged = [r for r in rows if r.flagged]
    return render(request, "gaming.html", title="Gaming and cream-skimming checks", rows=rows, flagged=flagged,
                  start=start, end=end)


@router.get("/report")
def report_page(request: Request, viewer: Reader, session: SessionDep):
    from openpbr.web import settlement as S

    on = today(request)
    results, definitions, start, end = indicator_results(session, viewer.scope, on)
    org = next(iter(sorted(viewer.scope.organisations)), None)
    unit_type = "commissioner" if viewer.role.value == "commissioner" else "provider"
    charts = []
    for i, d in enumerate(definitions):
        c = chart(results, definitions, d.id, unit_type, org or "all")
        if c is not None:
            charts.append((c, xmr_svg(c, f"report-{i}")))
    rows, _, _ = gaming_findings(session, viewer.scope, on)
    runs = S.runs(session, viewer.scope) if viewer.may("settlement:read") else []
    return render(request, "report.html", title=f"Report for {org or 'the trust'}", org=org, charts=charts,
                  findings=rows, flagged=[r for r in rows if r.flagged], runs=runs[:6], start=start, end=end, on=on)
