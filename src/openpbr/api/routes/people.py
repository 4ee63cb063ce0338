"""People, their care record timeline, and MHCT assessments: suggest without saving, then decide."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field, TypeAdapter

from openpbr.access import Scope
from openpbr.api.deps import SessionDep, allow
from openpbr.api.idempotency import check_if_match, etag, run_once
from openpbr.api.pagination import Page, paginate
from openpbr.api.problems import WRITE_RESPONSES
from openpbr.services import care_record, clustering, records

router = APIRouter(tags=["people and assessments"], responses=WRITE_RESPONSES)


def _today() -> date:
    return date.today()


AsOf = Annotated[date | None, Query(description="The date the answer is for (default: today)")]


class NewPerson(BaseModel):
    person: str = Field(min_length=1, max_length=20, description="Pseudonymous id (LocalPatientId)")
    nhs_number: str = Field(min_length=10, max_length=12, description="Checked with the NHS number checksum; never echoed")
    birth_year: int | None = Field(default=None, ge=1900, le=2100)
    psychosis_history: bool | None = None


class PersonOut(BaseModel):
    person: str
    birth_year: int | None


@router.post("/people", status_code=201, response_model=PersonOut, summary="Register a person (Idempotency-Key required)")
def register(body: NewPerson, request: Request, session: SessionDep,
             scope: Annotated[Scope, Depends(allow("people:register"))]) -> Any:
    def produce() -> tuple[int, Any, dict[str, str]]:
        r = records.register_person(session, scope, person=body.person, nhs_number=body.nhs_number,
                                    birth_year=body.birth_year, as_of=_today(),
                                    psychosis_history=body.psychosis_history)
        # not in care anywhere yet: the ETag to decide with names "no open period"
        return 201, asdict(r), {"Location": f"/v1/people/{r.person}", "ETag": period_etag(None, None)}

    return run_once(session, scope, request, body.model_dump(mode="json"), produce)


@router.get("/people", response_model=Page[care_record.CaseloadRow],
            summary="Caseload: people in a cluster on a date, in scope")
def list_people(session: SessionDep, scope: Annotated[Scope, Depends(allow("records:read"))], as_of: AsOf = None,
                team: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 100,
                cursor: str | None = None) -> Page[care_record.CaseloadRow]:
    rows = care_record.caseload(session, scope, as_of=as_of or _today(), team=team)
    return paginate(rows, lambda r: r.person, cursor, limit)


def period_etag(period_id: int | None, version: int | None) -> str:
    return etag("period", period_id or "none", version or 0)


@router.get("/people/{person}", response_model=care_record.Timeline,
            summary="A person's timeline; the ETag names their open cluster period (send it as If-Match to decide)")
def get_person(person: str, response: Response, session: SessionDep,
               scope: Annotated[Scope, Depends(allow("records:read"))], as_of: AsOf = None) -> Any:
    t = care_record.timeline(session, scope, person=person, as_of=as_of or _today())
    seen = records.open_period_seen(session, scope, person)
    response.headers["ETag"] = period_etag(seen.period_id, seen.version)
    return t


class Ratings(BaseModel):
    """The 18 MHCT ratings, 0-4 or 9 (not known), by item code; item 8's problem type A-J."""

    item_01: int = Field(ge=0, le=9)
    item_02: int = Field(ge=0, le=9)
    item_03: int = Field(ge=0, le=9)
    item_04: int = Field(ge=0, le=9)
    item_05: int = Field(ge=0, le=9)
    item_06: int = Field(ge=0, le=9)
    item_07: int = Field(ge=0, le=9)
    item_08: int = Field(ge=0, le=9)
    item_08_type: str | None = Field(default=None, max_length=1)
    item_09: int = Field(ge=0, le=9)
    item_10: int = Field(ge=0, le=9)
    item_11: int = Field(ge=0, le=9)
    item_12: int = Field(ge=0, le=9)
    item_13: int = Field(ge=0, le=9)
    hist_a: int = Field(ge=0, le=9)
    hist_b: int = Field(ge=0, le=9)
    hist_c: int = Field(ge=0, le=9)
    hist_d: int = Field(ge=0, le=9)
    hist_e: int = Field(ge=0, le=9)

    def values(self) -> tuple[int, ...]:
        from openpbr.clustering.ratings import ITEM_CODES

        return tuple(int(getattr(self, c)) for c in ITEM_CODES)


class SuggestIn(Ratings):
    assessment_id: str = Field(default="draft", max_length=40)
    assessed_on: date | None = None
    psychosis_history: bool | None = None
    age: int | None = Field(default=None, ge=0, le=130)
    previous_cluster: str | None = Field(default=None, max_length=2)


@router.post("/assessments/suggest", response_model=clustering.Suggestion,
             summary="Suggest a cluster without saving anything: candidates, fits, red rules, item by item")
def suggest(body: SuggestIn, scope: Annotated[Scope, Depends(allow("assessments:suggest"))]) -> clustering.Suggestion:
    row: dict[str, object] = {k: ("" if v is None else str(v)) for k, v in body.model_dump(mode="json").items()}
    return clustering.suggest_assessment(row)


class DecideIn(Ratings):
    clust_id: str = Field(min_length=1, max_length=40, description="Assessment id (ClustId)")
    assessed_on: date
    provider: str = Field(max_length=10)
    commissioner: str = Field(max_length=10)
    team: str | None = Field(default=None, max_length=20)
    reason: str = Field(default="review", pattern="^(initial|review|transition|discharge)$")
    chosen_cluster: str | None = Field(default=None, max_length=2, description="Omit to confirm the suggestion")
    override_reason: str | None = Field(default=None, max_length=2000)
    transition_reason: str | None = Field(default=None, max_length=2000)


def _seen_from_if_match(request: Request, session: Any, scope: Scope, person: str,
                        provider: str | None = None) -> records.PeriodSeen:
    seen = records.open_period_seen(session, scope, person, new_here=provider)
    check_if_match(request, period_etag(seen.period_id, seen.version))
    return seen


@router.post("/people/{person}/decisions", status_code=201, response_model=records.Decision,
             summary="Record an assessment and confirm or override the suggestion (If-Match and Idempotency-Key)")
def decide(person: str, body: DecideIn, request: Request, session: SessionDep,
           scope: Annotated[Scope, Depends(allow("assessments:decide"))]) -> Any:
    def produce() -> tuple[int, Any, dict[str, str]]:
        seen = _seen_from_if_match(request, session, scope, person, body.provider)
        d = records.assess_and_decide(
            session, scope, person=person, clust_id=body.clust_id, assessed_on=body.assessed_on, as_of=_today(),
            assessor=scope.actor[:40], ratings=body.values(), provider=body.provider, commissioner=body.commissioner,
            reason=body.reason, team=body.team, item_08_type=body.item_08_type, chosen_cluster=body.chosen_cluster,
            override_reason=body.override_reason, transition_reason=body.transition_reason, seen=seen)
        out = TypeAdapter(records.Decision).dump_python(d, mode="json")
        return 201, out, {"ETag": period_etag(d.period_id, 1)}

    return run_once(session, scope, request, {"person": person, **body.model_dump(mode="json")}, produce)


class DischargeIn(BaseModel):
    on: date
    reason: str | None = Field(default=None, max_length=2000)


class DischargedOut(BaseModel):
    person: str
    from_cluster: str
    on: date


@router.post("/people/{person}/discharge", status_code=201, response_model=DischargedOut,
             summary="Discharge a person from their cluster (If-Match and Idempotency-Key)")
def discharge(person: str, body: DischargeIn, request: Request, session: SessionDep,
              scope: Annotated[Scope, Depends(allow("assessments:decide"))]) -> Any:
    def produce() -> tuple[int, Any, dict[str, str]]:
        _seen_from_if_match(request, session, scope, person)
        d = records.discharge(session, scope, person=person, on=body.on, as_of=_today(), by=scope.actor[:40],
                              reason=body.reason)
        return 201, DischargedOut.model_validate(asdict(d)).model_dump(mode="json"), {}

    return run_once(session, scope, request, {"person": person, **body.model_dump(mode="json")}, produce)
