"""The review worklist, and a service user's own view of their care."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from openpbr.access import Role, Scope
from openpbr.api.deps import SessionDep, allow
from openpbr.api.pagination import Page, paginate
from openpbr.errors import NotFound
from openpbr.services import care_record, records

router = APIRouter(tags=["care records"])


class WorklistRow(BaseModel):
    person: str
    provider: str
    commissioner: str
    team: str | None
    cluster: str
    start_on: date
    review_due: date | None
    days_overdue: int | None
    status: str


class WorklistPage(Page[WorklistRow]):
    as_of: date
    due: int
    overdue: int


@router.get("/worklist", response_model=WorklistPage, summary="Reviews due and overdue as of a date, most overdue first")
def worklist(request_scope: Annotated[Scope, Depends(allow("worklist:read"))], session: SessionDep,
             as_of: date | None = None, horizon: Annotated[int, Query(ge=0, le=366)] = 28,
             provider: str | None = None, team: str | None = None,
             status: Literal["due", "overdue"] | None = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 100, cursor: str | None = None) -> WorklistPage:
    w = records.worklist(session.get_bind(), request_scope, as_of=as_of or date.today(), horizon_days=horizon,
                         provider=provider, team=team)
    rows = [WorklistRow(**r) for r in w.rows.to_pylist()]
    due = sum(1 for r in rows if r.status == "due")
    if status:
        rows = [r for r in rows if r.status == status]
    page = paginate(rows, lambda r: [-(r.days_overdue or 0), r.person], cursor, limit)
    return WorklistPage(items=page.items, next_cursor=page.next_cursor, as_of=w.as_of, due=due,
                        overdue=len(w.rows) - due)


class PackageOut(BaseModel):
    cluster: str
    key: str
    name: str
    interventions: list[str]
    frequency: str
    staff_hours_per_month: Decimal
    cost_per_cluster_day: Decimal
    outcomes: list[str]
    ref: str
    provenance: str
    provisional: bool


class PastClusterOut(BaseModel):
    cluster: str
    name: str
    start_on: date
    end_on: date | None
    periods: int


class MyCareOut(BaseModel):
    person: str
    as_of: date
    cluster: str | None
    cluster_name: str | None
    since: date | None
    review_due: date | None
    days_to_review: int | None
    package: PackageOut | None
    cost_per_day: Decimal | None
    cost_so_far: Decimal | None
    cost_to_review: Decimal | None
    history: list[PastClusterOut]


def _own_person(scope: Scope) -> str:
    if scope.role is not Role.SERVICE_USER or not scope.person:
        raise NotFound("not found")
    return scope.person


@router.get("/my-care", response_model=MyCareOut,
            summary="My cluster, care package, next review and what my care costs (service users)")
def my_care(session: SessionDep, scope: Annotated[Scope, Depends(allow("my_care:read"))],
            as_of: date | None = None) -> Any:
    m = records.my_care(session, scope, person=_own_person(scope), as_of=as_of or date.today())
    return {**asdict(m), "days_to_review": m.days_to_review}


class RecordViewOut(BaseModel):
    at: datetime
    who: str
    role: str
    what: str


@router.get("/my-care/record-views", response_model=list[RecordViewOut],
            summary="Who has looked at my record, newest first (service users)")
def my_record_views(session: SessionDep, scope: Annotated[Scope, Depends(allow("audit:read_own"))]) -> Any:
    return [asdict(v) for v in care_record.record_views(session, scope, person=_own_person(scope))]


@router.get("/people/{person}/record-views", response_model=list[RecordViewOut],
            summary="Who has looked at a person's record (auditors)")
def record_views(person: str, session: SessionDep, scope: Annotated[Scope, Depends(allow("audit:read"))]) -> Any:
    return [asdict(v) for v in care_record.record_views(session, scope, person=person)]
