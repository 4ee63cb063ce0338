"""Provider finance and commissioner pages: settlement runs, statements, traces, drill-down, income and costs."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from openpbr.errors import InputError
from openpbr.web import settlement as S
from openpbr.web.app import redirect
from openpbr.web.downloads import table_response
from openpbr.web.security import checked_form
from openpbr.web.templating import render
from openpbr.web.viewer import AuditedSessionDep, SessionDep, Viewer, may, today

router = APIRouter()
Reader = Annotated[Viewer, Depends(may("settlement:read"))]
Runner = Annotated[Viewer, Depends(may("settlement:run"))]
Driller = Annotated[Viewer, Depends(may("settlement:drill_down"))]

LINE_HEADER = ["line", "model", "rule", "code", "description", "quantity", "unit", "amount_pence", "amount"]


def _months(on: date, n: int = 12) -> list[str]:
    out, d = [], on.replace(day=1)
    for _ in range(n):
        d = (d - timedelta(days=1)).replace(day=1) if out else d
        out.append(f"{d:%Y-%m}")
    return out


def _settlement_page(request: Request, viewer: Viewer, session, status: int = 200, **extra):  # type: ignore[no-untyped-def]
    on = today(request)
    return render(request, "settlement.html", status, title="Settlement", runs=S.runs(session, viewer.scope),
                  can_run=viewer.may("settlement:run"), months=_months(on), **extra)


@router.get("/settlement")
def settlement_page(request: Request, viewer: Reader, session: SessionDep):
    return _settlement_page(request, viewer, session)


@router.post("/settlement/runs")
async def settlement_run(request: Request, viewer: Runner, session: SessionDep):
    form = await checked_form(request)
    month = str(form.get("month") or "")
    mode = str(form.get("mode") or "")
    errors, fields = [], {}
    if len(month) != 7:
        fields["month"] = "Select the month to settle"
    if mode not in ("live", "shadow"):
        fields["mode"] = "Select settled (Live prices) or estimate (Shadow prices)"
    if not fields:
        try:
            run_id = S.settle_month(session, viewer.scope, month, mode)
        except InputError as exc:
            fields["month"] = str(exc).capitalize()
        else:
            return redirect(f"/settlement/runs/{run_id}")
    errors = [{"text": v, "href": f"#{k}"} for k, v in fields.items()]
    return _settlement_page(request, viewer, session, 422, errors=errors, field_errors=fields,
                            posted={"month": month, "mode": mode})


@router.get("/settlement/runs/{run_id:int}")
def run_page(run_id: int, request: Request, viewer: Reader, session: SessionDep):
    r, sts = S.run(session, viewer.scope, run_id)
    return render(request, "settlement_run.html", title=f"Settlement run {r.id}", run=r, statements=sts,
                  label=S.label(r.mode), end=r.period_end - timedelta(days=1))


def _line_rows(lines) -> list[list]:  # type: ignore[no-untyped-def]
    return [[ln.line_no, ln.model, ln.rule, ln.code, ln.description, ln.quantity, ln.unit, ln.amount_pence,
             f"{ln.amount_pence / 100:.2f}"] for ln in lines]


@router.get("/settlement/statements/{statement_id:int}")
def statement_page(statement_id: int, request: Request, viewer: Reader, session: SessionDep):
    r, st, lines = S.statement(session, viewer.scope, statement_id)
    return render(request, "statement.html", title=f"Statement {st.contract_id}", run=r, st=st, lines=lines,
                  label=S.label(r.mode), end=st.period_end - timedelta(days=1))


@router.get("/settlement/statements/{statement_id:int}.{fmt}")
def statement_download(statement_id: int, fmt: str, viewer: Reader, session: SessionDep):
    r, st, lines = S.statement(session, viewer.scope, statement_id)
    name = f"statement-{st.contract_id}-{st.period_start:%Y-%m}-{S.label(r.mode).lower()}"
    if fmt == "pdf":
        from starlette.responses import Response

        return Response(S.statement_pdf(r, st, lines), media_type="application/pdf",
                        headers={"Content-Disposition": f'attachment; filename="{name}.pdf"'})
    return table_response(fmt, name, LINE_HEADER, _line_rows(lines))


@router.get("/settlement/statements/{statement_id:int}/lines/{line_no:int}")
def line_page(statement_id: int, line_no: int, request: Request, viewer: Reader, session: SessionDep):
    r, st, ln, trace = S.line(session, viewer.scope, statement_id, line_no)
    return render(request, "statement_line.html", title=f"Line {line_no} of statement {st.contract_id}", run=r, st=st,
                  ln=ln, trace=trace, label=S.label(r.mode), can_drill=viewer.may("settlement:drill_down")
                  and bool((trace.get("inputs") or {}).get("cluster")))


@router.get("/settlement/statements/{statement_id:int}/lines/{line_no:int}/activity")
def line_activity_page(statement_id: int, line_no: int, request: Request, viewer: Driller, session: AuditedSessionDep):
    (r, st, ln, trace), rows, total = S.line_activity(session, viewer.scope, statement_id, line_no)
    return render(request, "statement_activity.html", title=f"People behind line {line_no}", run=r, st=st, ln=ln,
                  rows=rows, total=total, trace=trace)


@router.get("/settlement/statements/{statement_id:int}/lines/{line_no:int}/activity.{fmt}")
def line_activity_download(statement_id: int, line_no: int, fmt: str, viewer: Driller, session: AuditedSessionDep):
    (r, st, ln, trace), rows, total = S.line_activity(session, viewer.scope, statement_id, line_no)
    return table_response(fmt, f"activity-{st.contract_id}-line-{line_no}",
                          ["person", "cluster", "start_on", "end_on", "days_in_period"],
                          [[x.person, x.cluster, x.start_on, x.end_on, x.days_in_period] for x in rows])


@router.get("/income")
def income_page(request: Request, viewer: Annotated[Viewer, Depends(may("settlement:read"))], session: SessionDep):
    from openpbr.web.income import income_and_costs

    on = today(request)
    month = request.query_params.get("month") or f"{on:%Y-%m}"
    view = income_and_costs(session, viewer.scope, month)
    return render(request, "income.html", title="Income and costs by cluster", view=view, months=_months(on),
                  month=month)


@router.get("/income.{fmt}")
def income_download(fmt: str, request: Request, viewer: Annotated[Viewer, Depends(may("settlement:read"))],
                    session: SessionDep):
    from openpbr.web.income import income_and_costs

    month = request.query_params.get("month") or f"{today(request):%Y-%m}"
    view = income_and_costs(session, viewer.scope, month)
    return table_response(fmt, f"income-and-costs-{month}", ["cluster", "name", "cluster_days", "income_pence",
                                                             "package_cost_pence", "difference_pence"],
                          [[r.cluster, r.name, r.days, r.income, r.cost, r.difference] for r in view.rows])


@router.get("/whatif")
def whatif_page(request: Request, viewer: Reader, session: SessionDep):
    """The same activity under block, cluster tariff and capitation contracts: estimates, side by side."""
    from openpbr.web.whatif import compare

    q = request.query_params
    pairs = sorted({(c.provider, c.commissioner) for c in S.contracts_in_scope(viewer.scope)})
    view, fields = None, {}
    if q.get("pair"):
        pair = tuple(q["pair"].split("|", 1))
        if pair not in pairs:
            fields["pair"] = "Select a provider and commissioner you hold a contract with"
        block, rate = q.get("block", "").replace(",", ""), q.get("rate", "").replace(",", "")
        if not _amount(block):
            fields["block"] = "Enter the block contract's annual value in pounds, for example 1500000"
        if not _amount(rate):
            fields["rate"] = "Enter the capitation rate per person per year in pounds, for example 900"
        if not fields:
            view = compare(session, pair[0], pair[1], today(request), block, rate)
    errors = [{"text": v, "href": f"#{k}"} for k, v in fields.items()]
    return render(request, "whatif.html", 422 if errors else 200, title="What if", pairs=pairs, view=view,
                  q=dict(q), errors=errors, field_errors=fields)


def _amount(text: str) -> bool:
    try:
        return float(text) > 0
    except ValueError:
        return False
