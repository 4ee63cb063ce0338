"""Activity inputs: column-oriented tables the settlement engine prices.

All tables are pyarrow Tables; dates are date32; windows and periods are
[start, end) with ``end_date`` the first day no longer covered (null = open).
Each table is declared once in :mod:`openpbr.io.tables` (``ACTIVITY_SPECS``):

cluster_periods  person_id, provider, commissioner, cluster, start_date, end_date[, need_group]
assessments      person_id, provider, commissioner, assessed_on
bed_days         person_id, provider, commissioner, start_date, end_date   (occupied bed days)
spells           spell_id, provider, commissioner, hrg, pod (EL|DC|NEL), admission_date, discharge_date,
                 age, admission_method[, bpt_met, spec_service, unbundled ("A;B"), elective_readmission_30d]
population       person_id, provider, commissioner, risk_group, start_date, end_date   (capitation)
personal_budgets person_id, provider, commissioner, start_date, end_date, annual_value (pounds)
indicator_results contract_id, indicator, value | (need_group, achieved, eligible)

Every row is either priced or shown: a row the declared table refuses (a
discharge before admission, a negative budget, a period ending before it
starts, a day-first date, ...) is kept aside as a :class:`RowIssue` in
``bundle.rejected`` and settles as a named unpaid line on the exceptions
statement (:func:`rejected_lines`), never silently dropped and never able to
change the money on a valid line. Files and in-memory tables get the same
checks (:func:`screen`), so settling a folder equals settling the same bundle
in memory.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from openpbr.errors import InputError
from openpbr.io.reader import RowIssue, check_table, read_table
from openpbr.io.safe import write_table_csv
from openpbr.io.tables import ACTIVITY_SPECS
from openpbr.payment.codes import PayCode
from openpbr.payment.prices import to_days

OPEN_END = 2_932_896  # 9999-12-31 as a day number: an open period

TABLES = ("cluster_periods", "assessments", "bed_days", "spells", "population", "personal_budgets", "indicator_results")
SUFFIXES = (".csv", ".parquet")

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
    rejected: list[RowIssue] = field(default_factory=list)  # rows not priced: each becomes a named unpaid line
    warnings: list[str] = field(default_factory=list)  # file-level notes (unknown columns, cp1252, missing files)
    _screened: bool = field(default=False, repr=False)
    _digest: str | None = field(default=None, repr=False)
    _parts: dict = field(default_factory=dict, repr=False)  # partitions by (provider, commissioner), per table

    def digest(self) -> str:
        """Content hash of every table and every rejected row: part of a settlement run's key."""
        if self._digest is None:
            h = hashlib.sha256()
            for name in TABLES:
                t = getattr(self, name)
                h.update(name.encode())
                if t is not None and t.num_rows:
                    sink = pa.BufferOutputStream()
                    with pa.ipc.new_stream(sink, t.schema) as w:
                        w.write_table(t.combine_chunks())
                    h.update(sink.getvalue().to_pybytes())
            for i in self.rejected:
                h.update(f"{i.file}|{i.line}|{i.field}|{i.code}".encode())
            self._digest = h.hexdigest()[:16]
        return self._digest


def screen(bundle: ActivityBundle) -> ActivityBundle:
    """Apply the declared tables' checks to a bundle built in memory (once): bad rows move to ``rejected``.

    Columns a table does not declare are dropped and values are typed as the
    reader types them, so a bundle settles the same whether it came from files
    or from memory. Columns the models treat as optional may be absent.
    """
    if bundle._screened:
        return bundle
    for name in TABLES:
        t = getattr(bundle, name)
        if t is None:
            continue
        good, issues = check_table(t, ACTIVITY_SPECS[name], file=f"{name} (in memory)", require_columns=False)
        setattr(bundle, name, good)
        bundle.rejected += issues
    bundle._screened = True
    bundle._digest = None
    bundle._parts.clear()
    return bundle


def read_activity(path: str | Path, name: str | None = None, *, as_of: date | None = None):
    """One activity file (CSV or Parquet) through the strict reader: a :class:`~openpbr.io.reader.ReadResult`."""
    path = Path(path)
    name = name or path.stem
    if name not in ACTIVITY_SPECS:
        raise InputError(f"{path.name}: not an activity table (expected one of {', '.join(TABLES)})")
    return read_table(path, ACTIVITY_SPECS[name], as_of=as_of)


def read_csv(path: str | Path, name: str | None = None) -> pa.Table:
    """One activity file's table when every row is good; otherwise an InputError naming the first bad row."""
    r = read_activity(path, name)
    if r.issues:
        first = r.issues[0]
        raise InputError(f"{len(r.issues)} bad row(s) in {first.file}; first: {first}")
    return r.table


def load_bundle(folder: str | Path, *, as_of: date | None = None) -> ActivityBundle:
    """Every ``<table>.csv`` or ``<table>.parquet`` in ``folder``, read strictly.

    Returns the bundle with its rejected rows (``bundle.rejected``) and file-level
    warnings (``bundle.warnings``: unknown columns, cp1252, tables absent).
    Refused with an InputError: a missing folder, a folder with none of the
    expected files, a table given both as CSV and Parquet, a file missing a
    required column.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(f"activity folder {folder} not found", code="FILE_NOT_FOUND")
    expected = ", ".join(f"{n}.csv" for n in TABLES)
    bundle = ActivityBundle()
    found = 0
    for name in TABLES:
        files = [folder / f"{name}{sfx}" for sfx in SUFFIXES if (folder / f"{name}{sfx}").is_file()]
        if len(files) > 1:
            raise InputError(f"{folder}: {name} is given twice ({files[0].name} and {files[1].name}); keep one")
        if not files:
            bundle.warnings.append(f"{folder}: no {name}.csv: no {name.replace('_', ' ')} in this run")
            continue
        found += 1
        r = read_activity(files[0], name, as_of=as_of)
        setattr(bundle, name, r.table)
        bundle.rejected += r.issues
        bundle.warnings += r.warnings
    if not found:
        raise InputError(f"no activity files in {folder}: expected {expected} (or .parquet)")
    known = {f"{n}{sfx}" for n in TABLES for sfx in SUFFIXES}
    for p in sorted(folder.iterdir()):
        if p.suffix.lower() in SUFFIXES and p.name not in known:
            bundle.warnings.append(f"{folder}: {p.name} is not an activity table: ignored")
    bundle._screened = True
    return bundle


def write_bundle(bundle: ActivityBundle, folder: str | Path) -> list[Path]:
    """Every table of the bundle as ``<table>.csv`` (atomic, Excel-safe, bare headers): what load_bundle reads."""
    folder = Path(folder)
    out = []
    for name in TABLES:
        t = getattr(bundle, name)
        if t is not None:
            out.append(write_table_csv(t, folder / f"{name}.csv"))
    return out


# -- rejected rows on the exceptions statement -------------------------------------------------------------------

_PAY_CODE = {
    "END_BEFORE_START": PayCode.END_BEFORE_START,
    "NEGATIVE_AMOUNT": PayCode.NEGATIVE_AMOUNT,
    "NEGATIVE_QUANTITY": PayCode.NEGATIVE_QUANTITY,
    "NOT_ISO_DATE": PayCode.INVALID_DATE,
    "DAY_FIRST_DATE": PayCode.INVALID_DATE,
    "FUTURE_DATE": PayCode.FUTURE_ACTIVITY,
    "REQUIRED_VALUE_MISSING": PayCode.MISSING_VALUE,
}
_ROW_DATES = ("start_date", "end_date", "assessed_on", "admission_date", "discharge_date")
TRACE_LINES = 200  # line numbers listed in one trace; the count is always complete


def pay_code(table: str, issue_code: str) -> PayCode:
    if table == "spells" and issue_code == "END_BEFORE_START":
        return PayCode.DISCHARGE_BEFORE_ADMISSION
    return _PAY_CODE.get(issue_code, PayCode.INVALID_ROW)


def _table_of(issue: RowIssue) -> str:
    stem = issue.file.split(" ", 1)[0].rsplit(".", 1)[0]
    return stem if stem in ACTIVITY_SPECS else issue.file


def _touches(issue: RowIssue, start: date, end: date) -> bool:
    """Whether a rejected row belongs to [start, end): its readable dates span into it, or it has none."""
    dates = []
    for k in _ROW_DATES:
        v = (issue.values or {}).get(k)
        if v and len(v) == 10:
            try:
                dates.append(date.fromisoformat(v))
            except ValueError:
                pass
    if not dates:
        return True
    v = issue.values or {}
    last = date.max if "end_date" in v and not v["end_date"] else max(dates)  # an open period runs on
    return min(dates) < end and last >= start


def rejected_lines(bundle: ActivityBundle, start: date, end: date, contract_id: str = "NON-CONTRACT") -> list:
    """One unpaid line per (table, provider, commissioner, field, code) of rejected rows touching the window."""
    from openpbr.payment.money import ROUNDING_RULE
    from openpbr.payment.statement import Line

    groups: dict[tuple, list[RowIssue]] = defaultdict(list)
    for i in bundle.rejected:
        if i.code != "RAGGED_ROW" and not _touches(i, start, end):
            continue
        v = i.values or {}
        groups[(_table_of(i), v.get("provider") or "?", v.get("commissioner") or "?", i.field, i.code,
                i.message, i.file)].append(i)
    lines = []
    for (table, prov, comm, fld, code, message, file), issues in sorted(groups.items()):
        pc_ = pay_code(table, code)
        rows = sorted({i.line for i in issues})
        lines.append(Line(contract_id, table, "activity.rejected", pc_,
                          f"{table}: {len(rows)} row(s) not paid: {fld}: {message}", len(rows), "rows", 0,
                          {"rule": "activity.rejected",
                           "inputs": {"file": file, "lines": rows[:TRACE_LINES], "rows": len(rows), "field": fld,
                                      "issue": code, "provider": prov, "commissioner": comm},
                           "prices": [], "formula": "not priced: the row is refused by the declared table",
                           "rounding": ROUNDING_RULE, "provisional": False}))
    return lines


_MEMO: "OrderedDict[tuple, tuple]" = OrderedDict()


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


__all__ = ["ActivityBundle", "load_bundle", "write_bundle", "read_activity", "read_csv", "screen", "rejected_lines",
           "to_days", "OPEN_END"]
