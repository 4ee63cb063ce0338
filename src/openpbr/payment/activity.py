"""Activity inputs: column-oriented tables the settlement engine prices.

All tables are pyarrow Tables; dates are date32; windows and periods are
[start, end) with ``end_date`` the first day no longer covered (null = open).

cluster_periods  person_id, provider, commissioner, cluster, start_date, end_date[, need_group]
assessments      person_id, provider, commissioner, assessed_on
bed_days         person_id, provider, commissioner, start_date, end_date   (occupied bed days)
spells           spell_id, provider, commissioner, hrg, pod (EL|DC|NEL), admission_date, discharge_date,
                 age, admission_method[, bpt_met, spec_service, unbundled ("A;B"), elective_readmission_30d]
population       person_id, provider, commissioner, risk_group, start_date, end_date   (capitation)
personal_budgets person_id, provider, commissioner, start_date, end_date, annual_value (pounds)
indicator_results contract_id, indicator, value | (need_group, achieved, eligible)
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from openpbr.payment.prices import to_days

OPEN_END = 2_932_896  # 9999-12-31 as a day number: an open period

TABLES = ("cluster_periods", "assessments", "bed_days", "spells", "population", "personal_budgets", "indicator_results")

DATE_COLUMNS = {"start_date", "end_date", "assessed_on", "admission_date", "discharge_date"}


@dataclass
class ActivityBundle:
    cluster_periods: pa.Table | None = None
    assessments: pa.Table | None = None
    bed_days: pa.Table | None = None
    spells: pa.Table | None = None
    population: pa.Table | None = None
    personal_budgets: pa.Table | None = None
    indicator_results: pa.Table | None = None
    _digest: str | None = field(default=None, repr=False)
    _parts: dict = field(default_factory=dict, repr=False)  # partitions by (provider, commissioner), per table

    def digest(self) -> str:
        """Content hash of every table: part of a settlement run's key."""
        if self._digest is None:
            h = hashlib.sha256()
            for f in fields(self):
                if f.name.startswith("_"):
                    continue
                t = getattr(self, f.name)
                h.update(f.name.encode())
                if t is not None and t.num_rows:
                    sink = pa.BufferOutputStream()
                    with pa.ipc.new_stream(sink, t.schema) as w:
                        w.write_table(t.combine_chunks())
                    h.update(sink.getvalue().to_pybytes())
            self._digest = h.hexdigest()[:16]
        return self._digest


def read_csv(path: str | Path) -> pa.Table:
    """A CSV activity file with ISO dates parsed as date32 and codes kept as strings."""
    head = Path(path).read_text(encoding="utf-8").splitlines()[0].split(",")
    types = {}
    for c in head:
        c = c.strip()
        if c in DATE_COLUMNS:
            types[c] = pa.date32()
        elif c in ("cluster", "hrg", "pod", "admission_method", "provider", "commissioner", "person_id", "spell_id",
                   "need_group", "risk_group", "spec_service", "unbundled", "annual_value", "contract_id", "indicator"):
            types[c] = pa.string()
    return pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False))


def load_bundle(folder: str | Path) -> ActivityBundle:
    """Every ``<table>.csv`` found in ``folder`` (missing files mean no such activity)."""
    folder = Path(folder)
    kw = {name: read_csv(folder / f"{name}.csv") for name in TABLES if (folder / f"{name}.csv").exists()}
    return ActivityBundle(**kw)


_MEMO: OrderedDict[tuple, tuple] = OrderedDict()


def _memo(t: pa.Table, key: str, make):
    """Column conversions are reused across the months of a run (the table is kept alive with its entry)."""
    k = (id(t), key)
    hit = _MEMO.get(k)
    if hit is not None and hit[0] is t:
        return hit[1]
    val = make()
    _MEMO[k] = (t, val)
    if len(_MEMO) > 512:
        _MEMO.popitem(last=False)
    return val


def col_str(t: pa.Table, name: str, default: str = "") -> np.ndarray:
    """A string column as a numpy unicode array, via dictionary encoding (codes repeat a lot)."""
    if name not in t.column_names:
        return np.full(t.num_rows, default)

    def make():
        c = t.column(name).cast(pa.string()).fill_null(default).combine_chunks()
        enc = c.dictionary_encode()
        values = np.array(enc.dictionary.to_pylist() or [default])
        return values[np.asarray(enc.indices.to_numpy(zero_copy_only=False), dtype=np.int64)] if len(c) else \
            np.zeros(0, dtype=values.dtype)

    return _memo(t, "s:" + name + ":" + default, make)


def col_days(t: pa.Table, name: str, open_end: bool = False) -> np.ndarray:
    """A date column as int64 day numbers; nulls become OPEN_END (open periods) or -1."""
    if name not in t.column_names:
        return np.full(t.num_rows, OPEN_END if open_end else -1, dtype=np.int64)
    return _memo(t, f"d:{name}:{open_end}", lambda: np.asarray(
        t.column(name).cast(pa.date32()).cast(pa.int32()).fill_null(OPEN_END if open_end else -1).to_numpy(),
        dtype=np.int64))


def col_int(t: pa.Table, name: str, default: int = 0) -> np.ndarray:
    if name not in t.column_names:
        return np.full(t.num_rows, default, dtype=np.int64)
    return np.asarray(t.column(name).cast(pa.int64()).fill_null(default).to_numpy(), dtype=np.int64)


def col_bool(t: pa.Table, name: str) -> np.ndarray:
    if name not in t.column_names:
        return np.zeros(t.num_rows, dtype=bool)
    c = t.column(name)
    if pa.types.is_boolean(c.type):
        return np.asarray(c.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    s = col_str(t, name).astype(str)
    return np.isin(np.char.lower(s), ["true", "1", "y", "yes"])


def filter_contract(t: pa.Table | None, provider: str, commissioner: str) -> pa.Table | None:
    if t is None:
        return None
    import pyarrow.compute as pc

    mask = pc.and_(pc.equal(t.column("provider"), provider), pc.equal(t.column("commissioner"), commissioner))
    return t.filter(mask)


__all__ = ["ActivityBundle", "load_bundle", "read_csv", "to_days", "OPEN_END"]
