"""MHSDS imports as background jobs: upload, poll progress, download the rejects."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel

from openpbr.access import Scope
from openpbr.api.deps import allow
from openpbr.api.jobs import Job
from openpbr.api.problems import PayloadTooLarge
from openpbr.errors import InputError, NotFound

router = APIRouter(tags=["imports"])


class JobOut(BaseModel):
    id: str
    kind: str
    status: str
    stage: str
    created_at: datetime
    finished_at: datetime | None
    result: dict[str, Any]
    rejected: int
    error: str | None
    rejects_url: str | None


def _out(job: Job) -> JobOut:
    return JobOut(id=job.id, kind=job.kind, status=job.status, stage=job.stage, created_at=job.created_at,
                  finished_at=job.finished_at, result=job.result, rejected=len(job.rejects), error=job.error,
                  rejects_url=f"/v1/imports/{job.id}/rejects.csv" if job.status == "done" else None)


async def _read(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"{upload.filename or 'a file'} is larger than the limit of {limit:,} bytes")
    return data


@router.post("/imports", status_code=202, response_model=JobOut,
             summary="Import MHS801, MHS802 and MHS803 CSV files as a background job")
async def start_import(request: Request, scope: Annotated[Scope, Depends(allow("imports:run"))],
                       mhs801: Annotated[UploadFile, File()], mhs802: Annotated[UploadFile, File()],
                       mhs803: Annotated[UploadFile, File()], as_of: date | None = None) -> JobOut:
    limit = request.app.state.settings.max_upload_bytes
    files = {"MHS801": await _read(mhs801, limit), "MHS802": await _read(mhs802, limit),
             "MHS803": await _read(mhs803, limit)}
    if not any(files.values()):
        raise InputError("the three files are empty")
    job = request.app.state.jobs.start_import(request.app.state.engine, scope, files, as_of or date.today())
    return _out(job)


@router.get("/imports/{job_id}", response_model=JobOut, summary="An import job's progress and result")
def get_import(job_id: str, request: Request, scope: Annotated[Scope, Depends(allow("imports:run"))]) -> JobOut:
    job = request.app.state.jobs.get(job_id, scope)
    if job is None:
        raise NotFound("no such import")
    return _out(job)


@router.get("/imports/{job_id}/rejects.csv", summary="Every rejected row: file, line, field, code, reason",
            response_class=Response, responses={200: {"content": {"text/csv": {}}}})
def get_rejects(job_id: str, request: Request, scope: Annotated[Scope, Depends(allow("imports:run"))]) -> Response:
    import csv

    from openpbr.io.safe import excel_safe

    job = request.app.state.jobs.get(job_id, scope)
    if job is None or job.status != "done":
        raise NotFound("no finished import with that id")
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["file", "line", "field", "code", "reason"])
    w.writerows([excel_safe(v) for v in row] for row in job.rejects)
    return Response(buf.getvalue(), media_type="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="rejects-{job.id[:8]}.csv"'})
