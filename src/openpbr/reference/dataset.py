"""Effective-dated reference datasets loaded from YAML.

A dataset file looks like::

    dataset: mhct.review_periods
    version: "2014.1"
    description: ...
    defaults:                  # optional, merged into every entry
      source: ...
      evidence: V
    entries:
      - key: "01"
        valid_from: 2011-04-01
        valid_to: null          # open-ended
        value: {unit: days, length: 84}
        source: ...             # overrides defaults
        evidence: V

History is never edited: a change is a new entry with a later ``valid_from``
(and the old entry gets a ``valid_to``). Entries for one key must not
overlap; the loader refuses a file where they do.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from openpbr.reference.provenance import Evidence, Provenance


class NotInForce(LookupError):
    """No entry for this key covers the activity date."""


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    valid_from: date
    valid_to: date | None = None  # exclusive end
    value: Any
    provenance: Provenance

    @model_validator(mode="after")
    def _ordered(self) -> Entry:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValueError(f"entry {self.key!r}: valid_to {self.valid_to} is not after valid_from {self.valid_from}")
        return self

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on < self.valid_to)


class Dataset(BaseModel):
    """A named, versioned set of effective-dated entries."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    dataset: str
    version: str
    description: str = ""
    checksum: str = ""
    entries: tuple[Entry, ...] = Field(default_factory=tuple)

    @model_validator(mode="after")
    def _no_overlaps(self) -> Dataset:
        by_key: dict[str, list[Entry]] = {}
        for e in self.entries:
            by_key.setdefault(e.key, []).append(e)
        for key, rows in by_key.items():
            rows.sort(key=lambda e: e.valid_from)
            for a, b in zip(rows, rows[1:]):
                if a.valid_to is None or a.valid_to > b.valid_from:
                    raise ValueError(f"{self.dataset}: entries for key {key!r} overlap at {b.valid_from}")
        return self

    @property
    def ref(self) -> str:
        """Short identifier used in traces: name@version#checksum-prefix."""
        return f"{self.dataset}@{self.version}#{self.checksum[:12]}"

    @cached_property
    def _index(self) -> dict[str, list[Entry]]:
        idx: dict[str, list[Entry]] = {}
        for e in self.entries:
            idx.setdefault(e.key, []).append(e)
        return idx

    def keys(self) -> list[str]:
        return sorted(self._index)

    def history(self, key: str) -> list[Entry]:
        return sorted(self._index.get(key, []), key=lambda e: e.valid_from)

    def resolve(self, key: str, on: date) -> Entry:
        for e in self._index.get(key, ()):
            if e.in_force(on):
                return e
        raise NotInForce(f"{self.dataset}: no entry for {key!r} in force on {on.isoformat()}")

    def in_force(self, on: date) -> Iterator[Entry]:
        for key in self.keys():
            for e in self._index[key]:
                if e.in_force(on):
                    yield e


def _build_entry(raw: dict[str, Any], defaults: dict[str, Any], where: str) -> Entry:
    merged = {**defaults, **raw}
    prov = Provenance(
        source=merged.pop("source"),
        evidence=Evidence(str(merged.pop("evidence"))),
        note=merged.pop("note", None),
    )
    try:
        return Entry(provenance=prov, **merged)
    except Exception as exc:  # re-raise naming the entry
        raise ValueError(f"{where}: {exc}") from exc


def parse_dataset(text: str, origin: str = "<string>") -> Dataset:
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or "entries" not in doc:
        raise ValueError(f"{origin}: not a reference dataset (needs 'dataset', 'version', 'entries')")
    defaults = doc.get("defaults") or {}
    entries = tuple(
        _build_entry(dict(raw), defaults, f"{origin} entry {n}") for n, raw in enumerate(doc["entries"], start=1)
    )
    checksum = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Dataset(
        dataset=doc["dataset"],
        version=str(doc["version"]),
        description=doc.get("description", ""),
        checksum=checksum,
        entries=entries,
    )


def load_dataset(path: str | Path) -> Dataset:
    p = Path(path)
    return parse_dataset(p.read_text(encoding="utf-8"), origin=str(p))
