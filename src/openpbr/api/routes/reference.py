"""Reference data, price schedules and contracts: read by every signed-in user."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from openpbr.access import Scope
from openpbr.api.deps import allow
from openpbr.errors import NotFound

router = APIRouter(prefix="/reference", tags=["reference data"])
Reader = Annotated[Scope, Depends(allow("reference:read"))]


class DatasetSummary(BaseModel):
    dataset: str
    version: str
    ref: str
    description: str
    entries: int
    provisional: bool
    status: str | None = None  # price schedules: Draft, Shadow or Live


class EntryOut(BaseModel):
    key: str
    valid_from: date
    valid_to: date | None
    value: Any
    source: str
    evidence: str
    provisional: bool


class DatasetOut(DatasetSummary):
    items: list[EntryOut]


def _names() -> list[str]:
    from openpbr.reference import builtin_path

    return sorted(p.stem for p in builtin_path("reference").glob("*.yaml"))


def _load(name: str) -> tuple[Any, str | None]:
    if name not in _names():
        raise NotFound(f"no reference dataset named {name!r}")
    from openpbr.reference import builtin_path

    path = builtin_path("reference", f"{name}.yaml")
    import yaml

    status = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("status")
    if status:
        from openpbr.payment.prices import load_schedule

        return load_schedule(name).dataset, status
    from openpbr.reference import builtin_dataset

    return builtin_dataset(name), None


def _summary(ds: Any, status: str | None) -> DatasetSummary:
    return DatasetSummary(dataset=ds.dataset, version=ds.version, ref=ds.ref, description=ds.description,
                          entries=len(ds.entries), provisional=any(e.provenance.provisional for e in ds.entries),
                          status=status)


@router.get("", response_model=list[DatasetSummary], summary="Every shipped reference dataset and price schedule")
def list_datasets(scope: Reader) -> list[DatasetSummary]:
    return [_summary(*_load(n)) for n in _names()]


@router.get("/{name}", response_model=DatasetOut, summary="One dataset: its entries, all or those in force on a date")
def get_dataset(name: str, scope: Reader, on: Annotated[date | None, Query()] = None) -> DatasetOut:
    ds, status = _load(name)
    entries = list(ds.in_force(on)) if on else list(ds.entries)
    items = [EntryOut(key=e.key, valid_from=e.valid_from, valid_to=e.valid_to, value=e.value,
                      source=e.provenance.label(), evidence=str(getattr(e.provenance, "evidence", "")),
                      provisional=e.provenance.provisional) for e in entries]
    return DatasetOut(**_summary(ds, status).model_dump(), items=items)


class ContractOut(BaseModel):
    contract_id: str
    provider: str
    commissioner: str
    valid_from: date
    valid_to: date
    models: list[str]
    digest: str


@router.get("/contracts/demo", response_model=list[ContractOut], summary="The shipped demo contracts")
def contracts(scope: Reader) -> list[ContractOut]:
    from openpbr.payment.contracts import demo_contracts_dir, load_contracts

    out = []
    for c in load_contracts(demo_contracts_dir()):
        if scope.allows_organisation(c.provider) or scope.allows_organisation(c.commissioner) \
                or scope.role.value in ("analyst", "admin", "auditor"):
            out.append(ContractOut(contract_id=c.contract_id, provider=c.provider, commissioner=c.commissioner,
                                   valid_from=c.valid_from, valid_to=c.valid_to, models=[m.type for m in c.models],
                                   digest=c.digest))
    return out
