"""Background jobs (MHSDS imports): run in a worker thread, polled for progress, rejects downloadable.

Jobs live in the server process: a restart forgets finished jobs but never
half-applies one, since each import is one all-or-nothing transaction.
Uploaded files are kept in a private temporary folder only until the job ends.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from openpbr.access import Scope


@dataclass
class Job:
    id: str
    kind: str
    actor: str
    organisations: frozenset[str]
    created_at: datetime
    status: str = "queued"  # queued, running, done, failed
    stage: str = "waiting to start"
    finished_at: datetime | None = None
    result: dict[str, Any] = field(default_factory=dict)
    rejects: list[tuple[str, int, str, str, str]] = field(default_factory=list)  # file, line, field, code, reason
    error: str | None = None


class JobRunner:
    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, job_id: str, scope: Scope) -> Job | None:
        """A job the scope may see: its own, or its organisations' for an admin."""
        job = self.jobs.get(job_id)
        if job is None:
            return None
        if job.actor == scope.actor or (scope.role.value == "admin" and job.organisations & scope.organisations):
            return job
        return None

    def start_import(self, engine: Any, scope: Scope, files: dict[str, bytes], as_of: date) -> Job:
        job = Job(id=uuid.uuid4().hex, kind="mhsds_import", actor=scope.actor, organisations=scope.organisations,
                  created_at=datetime.now(timezone.utc))
        folder = Path(tempfile.mkdtemp(prefix="openpbr-import-"))
        for name, content in files.items():
            (folder / f"{name}.csv").write_bytes(content)
        with self._lock:
            self.jobs[job.id] = job
        threading.Thread(target=self._run_import, args=(job, engine, scope, folder, as_of), daemon=True).start()
        return job

    def _run_import(self, job: Job, engine: Any, scope: Scope, folder: Path, as_of: date) -> None:
        from openpbr.errors import OpenPbRError
        from openpbr.services import records

        job.status, job.stage = "running", "reading, checking and loading the files"
        try:
            report = records.import_records(engine, scope, folder, as_of=as_of)
            job.result = {"inserted": dict(report.inserted), "updated": dict(report.updated),
                          "unchanged": dict(report.unchanged), "rejected": len(report.errors),
                          "warnings": list(report.warnings)}
            job.rejects = [(e.file, e.line, e.field, e.code, e.reason) for e in report.errors]
            job.status, job.stage = "done", "finished"
        except OpenPbRError as exc:
            job.status, job.stage, job.error = "failed", "stopped: nothing was saved", f"{exc} [{exc.code}]"
        except Exception as exc:  # a bug: report its kind only, never row values
            job.status, job.stage, job.error = "failed", "stopped: nothing was saved", type(exc).__name__
        finally:
            job.finished_at = datetime.now(timezone.utc)
            shutil.rmtree(folder, ignore_errors=True)
