"""Settlement: runs (create, read), statements and their lines with traces, downloads, reconciliation, what-if."""

from __future__ import annotations

import tempfile
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field, model_validator

from openpbr.access import Scope
from openpbr.api.deps import allow
from openpbr.api.idempotency import run_once_apart
from openpbr.api.pagination import Page, paginate
from openpbr.api.problems import WRITE_RESPONSES
from openpbr.errors import InputError
from openpbr.services import settlement as svc
from openpbr.services.settlement_views import stored_run, write_xlsx

router = APIRouter(prefix="/settlement", tags=["settlement"])
Reader = Annotated[Scope, Depends(allow("settlement:read"))]


def _contracts(request: Request) -> list[Any]:
    from openpbr.reference import builtin_path

    folder = request.app.state.settings.contracts_dir or builtin_path("payment", "contracts", "records-demo")
    return svc.load_contracts(folder)


MAX_WINDOW_DAYS = 5 * 366  # a reconciliation or what-if is computed month by month: bound the work per request


def _window(start: date, end: date) -> None:
    svc.check_window(start, end)
    if (end - start).days > MAX_WINDOW_DAYS:
        raise InputError(f"the window {start} to {end} is longer than five years: ask for a shorter one",
                         code="WINDOW_TOO_LONG")


def _db(request: Request) -> str:
    return str(request.app.state.settings.database_url)


class RunOut(BaseModel):
    id: int
    run_key: str
    kind: str
    mode: str
    period_start: date
    period_end: date
    total_pence: int = Field(description="Of the statements the caller may see")
    created_at: datetime | None
    superseded_by: str | None
    supersedes: list[str]
    live: bool


def _run_out(r: svc.RunSummary) -> RunOut:
    return RunOut(**{**asdict(r), "supersedes": list(r.supersedes), "live": r.live,
                     "created_at": r.created_at if isinstance(r.created_at, datetime) else None})


@router.get("/runs", response_model=Page[RunOut], summary="Stored settlement runs the caller may see, newest first")
def list_runs(request: Request, scope: Reader, limit: Annotated[int, Query(ge=1, le=500)] = 100,
              cursor: str | None = None) -> Page[RunOut]:
    runs = sorted((_run_out(r) for r in svc.list_runs(_db(request), scope)), key=lambda r: -r.id)
    return paginate(runs, lambda r: -r.id, cursor, limit)


class SettleIn(BaseModel):
    month: str | None = Field(default=None, pattern=r"^\d{4}-\d{2}$", description="YYYY-MM")
    start: date | None = None
    end: date | None = Field(default=None, description="The day after the last (exclusive)")
    contract_id: str | None = Field(default=None, max_length=60)
    mode: Literal["live", "shadow"] = "live"

    @model_validator(mode="after")
    def _window(self) -> SettleIn:
        if bool(self.month) == bool(self.start or self.end) or (not self.month and not (self.start and self.end)):
            raise ValueError("give month, or start and end")
        return self

    def window(self) -> tuple[date, date]:
        if self.month:
            y, m = int(self.month[:4]), int(self.month[5:])
            if not (1900 <= y <= 9998 and 1 <= m <= 12):
                raise InputError(f"month {self.month!r} is not a month: use YYYY-MM, e.g. 2024-03", code="BAD_DATE")
            return date(y, m, 1), date(y + (m == 12), m % 12 + 1, 1)
        assert self.start and self.end
        return self.start, self.end


class GapOut(BaseModel):
    contract_id: str
    code: str
    description: str


class SettleOut(BaseModel):
    run_key: str
    stored_id: int | None
    created: bool
    superseded: list[str]
    total_pence: int
    statements: int
    gaps: list[GapOut]


@router.post("/runs", status_code=201, response_model=SettleOut, responses=WRITE_RESPONSES,
             summary="Settle a window from the records database and store the run (Idempotency-Key required)")
def create_run(body: SettleIn, request: Request,
               scope: Annotated[Scope, Depends(allow("settlement:run"))]) -> Any:
    start, end = body.window()

    def produce() -> tuple[int, Any, dict[str, str]]:
        contracts = _contracts(request)
        bundle = svc.bundle_for(contracts, start, end, records_db=_db(request))
        r = svc.settle_and_store(_db(request), contracts, bundle, start, end, scope=scope, mode=body.mode,
                                 contract_id=body.contract_id)
        out = SettleOut(run_key=r.run.run_key, stored_id=r.stored_id, created=r.created, superseded=r.superseded,
                        total_pence=r.run.total, statements=len(r.run.statements),
                        gaps=[GapOut(**asdict(g)) for g in r.gaps])
        return 201 if r.created else 200, out.model_dump(mode="json"), {
            "Location": f"/v1/settlement/runs/{r.run.run_key}/statements"}

    # settlement stores the run through its own connections: the answer is recorded once it has committed
    return run_once_apart(request.app.state.engine, scope, request, body.model_dump(mode="json"), produce)


class LineOut(BaseModel):
    line_no: int
    model: str
    rule: str
    code: str
    description: str
    quantity: float
    unit: str
    amount_pence: int
    trace: dict[str, Any]


class StatementOut(BaseModel):
    contract_id: str
    commissioner: str
    provider: str
    kind: str
    period_start: date
    period_end: date
    total_pence: int
    on_account_pence: int
    balance_pence: int
    lines: list[LineOut]


@router.get("/runs/{run_key}/statements", response_model=list[StatementOut],
            summary="A stored run's statements, every line with its result code and trace")
def statements(run_key: str, request: Request, scope: Reader) -> Any:
    return svc.run_statements(_db(request), run_key, scope)


MEDIA = {"csv": "text/csv", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "pdf": "application/pdf"}


@router.get("/runs/{run_key}/statements.{fmt}", response_class=Response,
            responses={200: {"content": {m: {} for m in MEDIA.values()}}},
            summary="Download a stored run's statements as CSV, XLSX or PDF")
def download(run_key: str, fmt: Literal["csv", "xlsx", "pdf"], request: Request, scope: Reader) -> Response:
    from openpbr.payment.export import write_csv, write_pdf

    run = stored_run(_db(request), run_key, scope)
    with tempfile.TemporaryDirectory(prefix="openpbr-statement-") as d:
        path = Path(d) / f"statements.{fmt}"
        {"csv": write_csv, "xlsx": write_xlsx, "pdf": write_pdf}[fmt](run, path)
        content = path.read_bytes()
    name = f"statements-{run.window.start_date}-{run_key[:8]}.{fmt}"
    return Response(content, media_type=MEDIA[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})


class ReconcileRowOut(BaseModel):
    contract_id: str
    commissioner: str
    provider: str
    invoiced_pence: int
    now_due_pence: int
    difference_pence: int
    missing_months: list[str]


@router.get("/reconciliation", response_model=list[ReconcileRowOut],
            summary="What the stored live runs invoiced against what is due on today's data, per contract")
def reconciliation(request: Request, scope: Reader, start: date, end: date,
                   contract_id: str | None = None) -> list[ReconcileRowOut]:
    _window(start, end)
    contracts = _contracts(request)
    bundle = svc.bundle_for(contracts, start, end, records_db=_db(request))
    res = svc.reconcile_period(_db(request), contracts, bundle, start, end, scope=scope, contract_id=contract_id)
    return [ReconcileRowOut(contract_id=r.contract_id, commissioner=r.commissioner, provider=r.provider,
                            invoiced_pence=r.invoiced, now_due_pence=r.now_due, difference_pence=r.difference,
                            missing_months=list(r.missing_months)) for r in res.rows]


class WhatIfOut(BaseModel):
    models: list[dict[str, Any]]
    price_change: list[dict[str, Any]]


@router.get("/what-if", response_model=WhatIfOut,
            summary="The same activity under block, cluster tariff and capitation, and a price change")
def what_if(request: Request, scope: Reader, provider: str, commissioner: str, start: date, end: date,
            block: str = "9000000.00", capitation: str = "2000.00",
            new_prices: str = "payment_cluster_prices_demo_uplift") -> WhatIfOut:
    _window(start, end)
    contracts = _contracts(request)
    bundle = svc.bundle_for(contracts, start, end, records_db=_db(request))
    r = svc.what_if(bundle, provider, commissioner, start, end, scope=scope, block_annual=block,
                    capitation_rate=capitation, new_prices=new_prices)
    return WhatIfOut(models=r.models, price_change=r.price_change)
