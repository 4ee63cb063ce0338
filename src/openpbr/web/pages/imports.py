"""Analyst and admin: MHSDS upload as a background job, its progress, and the rejects download."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.datastructures import UploadFile

from openpbr.errors import NotFound
from openpbr.web.app import redirect
from openpbr.web.downloads import csv_response
from openpbr.web.security import checked_form
from openpbr.web.templating import render
from openpbr.web.viewer import Viewer, may, today

router = APIRouter()
Importer = Annotated[Viewer, Depends(may("imports:run"))]
FILES = (("mhs801", "MHS801", "Assessments (MHS801)"), ("mhs802", "MHS802", "Ratings (MHS802)"),
         ("mhs803", "MHS803", "Cluster periods (MHS803)"))


@router.get("/imports")
def imports_form(request: Request, viewer: Importer):
    return render(request, "imports.html", title="Upload MHSDS files", files=FILES)


@router.post("/imports")
async def imports_start(request: Request, viewer: Importer):
    form = await checked_form(request)
    limit = request.app.state.settings.max_upload_bytes
    data, fields = {}, {}
    for field, name, label in FILES:
        up = form.get(field)
        content = await up.read(limit + 1) if isinstance(up, UploadFile) else b""
        if not content:
            fields[field] = f"Select the {label} file"
        elif len(content) > limit:
            fields[field] = f"The {label} file is larger than {limit:,} bytes"
        data[name] = content
    if fields:
        return render(request, "imports.html", 422, title="Upload MHSDS files", files=FILES, field_errors=fields,
                      errors=[{"text": v, "href": f"#{k}"} for k, v in fields.items()])
    job = request.app.state.jobs.start_import(request.app.state.engine, viewer.scope, data, today(request))
    return redirect(f"/imports/{job.id}")


def _job(request: Request, viewer: Viewer, job_id: str):  # type: ignore[no-untyped-def]
    job = request.app.state.jobs.get(job_id, viewer.scope)
    if job is None:
        raise NotFound("not found")
    return job


@router.get("/imports/{job_id}")
def import_progress(job_id: str, request: Request, viewer: Importer):
    job = _job(request, viewer, job_id)
    return render(request, "import_job.html", title="MHSDS upload progress" if job.status in ("queued", "running")
                  else "MHSDS upload finished" if job.status == "done" else "MHSDS upload stopped", job=job)


@router.get("/imports/{job_id}/rejects.csv")
def import_rejects(job_id: str, request: Request, viewer: Importer):
    job = _job(request, viewer, job_id)
    if job.status != "done":
        raise NotFound("not found")
    return csv_response(f"rejects-{job.id[:8]}", ["file", "line", "field", "code", "reason"], job.rejects)
