"""The audit log's integrity, for auditors."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from openpbr.access import Scope
from openpbr.api.deps import allow
from openpbr.services import records

router = APIRouter(tags=["audit"])


class AuditCheckOut(BaseModel):
    ok: bool
    entries: int
    head_hash: str
    first_bad_entry: int | None
    reason: str


@router.get("/audit/verify", response_model=AuditCheckOut, summary="Walk the hash chain and report the first break")
def verify(request: Request, scope: Annotated[Scope, Depends(allow("audit:read"))]) -> Any:
    return asdict(records.verify_audit(request.app.state.engine, scope))
