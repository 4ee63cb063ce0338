"""Idempotency-Key for POSTs that create records or move money, and ETags for edits.

A POST repeated with the same key by the same actor answers exactly as the
first one did and writes nothing new; the same key with a different body is
refused. The stored answer is written in the same transaction as the change,
so either both exist or neither does.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from openpbr.access import Scope
from openpbr.api.models import IdempotencyRecord
from openpbr.api.problems import PreconditionFailed, PreconditionRequired
from openpbr.errors import ConflictError, InputError

HEADER = "Idempotency-Key"


def request_hash(request: Request, body: Any) -> str:
    canon = json.dumps({"path": request.url.path, "query": str(request.url.query), "body": body},
                       sort_keys=True, default=str)
    return hashlib.sha256(canon.encode()).hexdigest()


def _key(request: Request) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not key:
        raise PreconditionRequired(f"send an {HEADER} header (any unique string) so a retry cannot repeat this")
    if len(key) > 80 or not key.isprintable():
        raise InputError(f"{HEADER} must be at most 80 printable characters")
    return key


def _replay(session: Session, scope: Scope, key: str, digest: str) -> JSONResponse | None:
    found = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.actor == scope.actor,
                                                           IdempotencyRecord.key == key))
    if found is None:
        return None
    if found.request_hash != digest:
        raise InputError(f"this {HEADER} was already used for a different request")
    headers = {**json.loads(found.headers_json), "Idempotent-Replayed": "true"}
    return JSONResponse(json.loads(found.body), status_code=found.status, headers=headers)


def _record(session: Session, scope: Scope, request: Request, key: str, digest: str, status: int, payload: Any,
            headers: dict[str, str]) -> None:
    session.add(IdempotencyRecord(actor=scope.actor, key=key, method=request.method, path=request.url.path[:300],
                                  request_hash=digest, status=status, body=json.dumps(payload, default=str),
                                  headers_json=json.dumps(headers), created_at=datetime.now(UTC)))
    try:
        session.flush()
    except Exception:
        raise ConflictError(f"a request with this {HEADER} is already being processed") from None


def run_once(session: Session, scope: Scope, request: Request, body: Any,
             produce: Callable[[], tuple[int, Any, dict[str, str]]]) -> JSONResponse:
    """Answer from the stored response for this key, or run ``produce`` and store its answer (one transaction)."""
    key, digest = _key(request), request_hash(request, body)
    replay = _replay(session, scope, key, digest)
    if replay is not None:
        return replay
    status, payload, headers = produce()
    _record(session, scope, request, key, digest, status, payload, headers)
    return JSONResponse(payload, status_code=status, headers=headers)


def run_once_apart(engine: Any, scope: Scope, request: Request, body: Any,
                   produce: Callable[[], tuple[int, Any, dict[str, str]]]) -> JSONResponse:
    """As :func:`run_once`, for work that commits through its own connections (settlement runs).

    The stored answer is written after the work commits. Should that write fail,
    a retry runs the work again, which is safe only because the work is itself
    idempotent: settling the same inputs again stores nothing new.
    """
    key, digest = _key(request), request_hash(request, body)
    with Session(engine, expire_on_commit=False) as session:
        replay = _replay(session, scope, key, digest)
    if replay is not None:
        return replay
    status, payload, headers = produce()
    with Session(engine, expire_on_commit=False) as session:
        try:
            _record(session, scope, request, key, digest, status, payload, headers)
            session.commit()
        except ConflictError:
            session.rollback()
            replay = _replay(session, scope, key, digest)  # a concurrent twin finished first: answer as it did
            if replay is not None:
                return replay
            raise
    return JSONResponse(payload, status_code=status, headers=headers)


def etag(entity: str, ident: object, version: int) -> str:
    return f'W/"{entity}-{ident}-v{version}"'


def check_if_match(request: Request, current: str) -> None:
    """428 without If-Match; 412 when it names an older version (someone else saved first)."""
    sent = request.headers.get("if-match")
    if not sent:
        raise PreconditionRequired("send If-Match with the ETag you last read, so no one's change is lost")
    if sent.strip() != current and sent.strip() != "*":
        raise PreconditionFailed("the record was changed by someone else since you read it; reload and try again")
