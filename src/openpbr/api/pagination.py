"""Cursor pagination: ``?limit=&cursor=``; the answer's ``next_cursor`` fetches the next page.

Cursors are opaque (URL-safe base64 of the last row's sort key), so clients
cannot depend on their shape, and pages stay stable while rows are added.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from openpbr.errors import InputError

T = TypeVar("T")
MAX_LIMIT = 500


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(key, default=str).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Any:
    if not cursor:
        return None
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except Exception:
        raise InputError("cursor is not one this server issued") from None


def paginate(rows: Sequence[T], key: Any, cursor: str | None, limit: int) -> Page[T]:
    """A page of ``rows`` (already sorted by ``key``) after ``cursor``."""
    if not 1 <= limit <= MAX_LIMIT:
        raise InputError(f"limit must be between 1 and {MAX_LIMIT}")
    after = decode_cursor(cursor)
    start = 0
    if after is not None:
        keys = [key(r) for r in rows]
        start = next((i for i, k in enumerate(keys) if _cmp_key(k) > _cmp_key(after)), len(rows))
    items = list(rows[start:start + limit])
    more = start + limit < len(rows)
    return Page[T](items=items, next_cursor=encode_cursor(key(items[-1])) if more and items else None)


def _cmp_key(k: Any) -> Any:
    return json.loads(json.dumps(k, default=str))
