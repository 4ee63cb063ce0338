"""Price schedules: effective-dated reference datasets with a status.

A schedule file is an ordinary reference dataset (see
``openpbr.reference.dataset``) with one extra top-level field::

    status: Live        # Draft | Shadow | Live

Draft prices are never paid; Shadow prices are paid only in shadow runs
(what-if, parallel running); Live prices are paid in live settlement runs.
Prices resolve by activity date. ``ScheduleIndex`` resolves many keys and
dates at once (numpy), for the bulk settlement path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from openpbr.errors import InputError
from openpbr.reference import Dataset, Entry, builtin_path, parse_dataset

EPOCH = np.datetime64("1970-01-01", "D")
FAR_FUTURE = np.datetime64("9999-12-31", "D")


class Status(str, Enum):
    DRAFT = "Draft"
    SHADOW = "Shadow"
    LIVE = "Live"

    def payable(self, mode: str) -> bool:
        if mode == "live":
            return self is Status.LIVE
        return self in (Status.LIVE, Status.SHADOW)


@dataclass(frozen=True)
class PriceSchedule:
    dataset: Dataset
    status: Status
    path: str = ""

    @property
    def ref(self) -> str:
        return f"{self.dataset.ref} ({self.status.value})"

    def resolve(self, key: str, on: date) -> Entry:
        return self.dataset.resolve(key, on)

    def label(self, entry: Entry) -> str:
        return f"{self.ref} key={entry.key} from={entry.valid_from} {entry.provenance.label()}"

    @property
    def provisional(self) -> bool:
        return any(e.provenance.provisional for e in self.dataset.entries)


def parse_schedule(text: str, origin: str = "<string>") -> PriceSchedule:
    doc = yaml.safe_load(text)
    status = Status(doc.get("status", "Draft"))
    return PriceSchedule(parse_dataset(text, origin), status, origin)


@lru_cache(maxsize=None)
def load_schedule(name_or_path: str) -> PriceSchedule:
    """A schedule by file path, or by name of a shipped file (``payment_cluster_prices_demo``)."""
    p = Path(name_or_path)
    if not p.suffix:
        for folder in ("reference", "payment"):
            cand = builtin_path(folder, f"{name_or_path}.yaml")
            if cand.exists():
                p = cand
                break
        else:
            raise InputError(
                f"no price schedule named {name_or_path!r}; known: {', '.join(schedule_names())} (or give a YAML file)",
                code="UNKNOWN_SCHEDULE",
            )
    if not p.is_file():
        raise InputError(f"price schedule file {p} does not exist", code="UNKNOWN_SCHEDULE")
    return parse_schedule(p.read_text(encoding="utf-8"), str(p))


def schedule_names() -> list[str]:
    """Shipped price schedules: the reference datasets that carry a ``status``."""
    names = []
    for folder in ("reference", "payment"):
        for f in sorted(builtin_path(folder).glob("*.yaml")):
            if f.stem.startswith("payment_") and "status:" in f.read_text(encoding="utf-8"):
                names.append(f.stem)
    return names


def to_days(values) -> np.ndarray:
    """Dates (datetime64, date32 arrays, python dates) as int64 days since 1970-01-01."""
    a = np.asarray(values)
    if a.dtype.kind == "M":
        return (a.astype("datetime64[D]") - EPOCH).astype(np.int64)
    return (np.array(values, dtype="datetime64[D]") - EPOCH).astype(np.int64)


def day(d: date) -> int:
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


@dataclass
class ScheduleIndex:
    """Column view of a schedule: entry i has key_code[i], [start[i], end[i]) in days, value fields."""

    schedule: PriceSchedule
    keys: list[str]
    key_code: np.ndarray
    start: np.ndarray
    end: np.ndarray
    entries: list[Entry]
    _sort: np.ndarray = field(repr=False, default=None)

    @classmethod
    def build(cls, schedule: PriceSchedule) -> "ScheduleIndex":
        entries = sorted(schedule.dataset.entries, key=lambda e: (e.key, e.valid_from))
        keys = sorted({e.key for e in entries})
        kmap = {k: i for i, k in enumerate(keys)}
        key_code = np.array([kmap[e.key] for e in entries], dtype=np.int64)
        start = np.array([day(e.valid_from) for e in entries], dtype=np.int64)
        end = np.array([day(e.valid_to) if e.valid_to else day(date(9999, 12, 31)) for e in entries], dtype=np.int64)
        return cls(schedule, keys, key_code, start, end, entries)

    def codes_for(self, keys: np.ndarray) -> np.ndarray:
        """Key strings to key codes; -1 where the schedule does not know the key."""
        kmap = {k: i for i, k in enumerate(self.keys)}
        arr = np.asarray(keys)
        if arr.dtype == object:
            arr = arr.astype(str)
        uniq, inv = np.unique(arr, return_inverse=True)
        return np.array([kmap.get(str(u), -1) for u in uniq], dtype=np.int64)[inv] if len(uniq) else np.zeros(0, np.int64)

    def lookup(self, key_codes: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Entry index in force for each (key, day); -1 where none is in force."""
        composite = self.key_code * 10_000_000 + self.start  # entries are sorted by (key, start)
        q = key_codes * 10_000_000 + days
        i = np.searchsorted(composite, q, side="right") - 1
        ok = (i >= 0) & (key_codes >= 0)
        i = np.where(ok, i, 0)
        if len(self.entries) == 0:
            return np.full(len(days), -1, dtype=np.int64)
        ok &= (self.key_code[i] == key_codes) & (days < self.end[i])
        return np.where(ok, i, -1)

    def field(self, name: str, convert=lambda v: v, default: Any = 0) -> np.ndarray:
        """One value field for every entry, as an array aligned with ``entries``."""
        out = []
        for e in self.entries:
            v = e.value.get(name) if isinstance(e.value, dict) else e.value
            out.append(convert(v) if v is not None else default)
        return np.array(out)


@lru_cache(maxsize=None)
def schedule_index(name_or_path: str) -> ScheduleIndex:
    """Built once per schedule per process: the bulk path looks prices up for every contract and month."""
    return ScheduleIndex.build(load_schedule(name_or_path))
