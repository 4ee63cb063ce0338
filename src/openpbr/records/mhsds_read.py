"""Reading one MHSDS-shape CSV file without letting one bad value stop the import.

The files go through the one strict reader (:func:`openpbr.io.reader.read_table`)
with the MHSDS specs of :mod:`openpbr.io.tables`, extended here with
OpenPbR's own columns and with each code's longest length taken from the
database column it lands in, so SQLite and PostgreSQL refuse the same rows (a
value PostgreSQL would refuse is never written; one SQLite would store is
never let through). Hostile input becomes a row-level reject with file, line,
field and a named code (``NUL_BYTE``, ``FIELD_TOO_LONG``, ``TOO_LONG_CODE``,
``NON_ASCII_DIGITS``, ``NOT_ISO_DATE``, ``DAY_FIRST_DATE``, ``FUTURE_DATE``,
``BIRTH_YEAR_OUT_OF_RANGE``, ...); good rows are kept. A file that is not
UTF-8 is read as cp1252 with a warning naming the file. A missing file or
required column stops the import before anything is written.

Messages never quote a value that could be an NHS number (see :func:`show`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import String

from openpbr.errors import InputError
from openpbr.io import tables
from openpbr.io.reader import read_table
from openpbr.io.tables import Column, TableSpec
from openpbr.records.models import Assessment, ClusterPeriod, Organisation, ServiceUser, Team

_DIGITS = re.compile(r"\d")


class ImportFailed(InputError):
    """The import could not run at all (missing file or columns, database error); nothing was written."""

    code = "IMPORT_FAILED"


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    field: str
    reason: str
    code: str = "INVALID_VALUE"

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.field}: {self.reason} [{self.code}]"


@dataclass
class FileRows:
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)
    rejects: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def show(value: str) -> str:
    """A value fit to quote in a message: short, and never something that could be an NHS number."""
    if len(_DIGITS.findall(value)) >= 9 or len(value) > 24:
        return "the value"
    return repr(value)


def _length(column) -> int | None:
    t = column.type
    return t.length if isinstance(t, String) and t.length else None


A, P, O, S, T = (m.__table__.c for m in (Assessment, ClusterPeriod, Organisation, ServiceUser, Team))
# Each field that lands in a column: its longest accepted value is that column's length.
COLUMNS = {
    "MHS801": {"ClustId": A.clust_id, "LocalPatientId": S.pseudo_id, "OrgIDProv": O.ods_code,
               "CareProfTeamLocalId": T.code, "CareProfLocalId": A.assessor, "ClustCat": A.clust_cat,
               "ClustToolAssReason": A.reason},
    "MHS802": {"ClustId": A.clust_id, "ProblemType": A.item_08_type},
    "MHS803": {"ClustId": A.clust_id, "AMHCareClustCodeFin": P.chosen_cluster, "OrgIDComm": O.ods_code,
               "SuggestedCluster": P.suggested_cluster, "ChosenBy": P.chosen_by, "ResultCode": P.result_code,
               "ProfileRef": P.profile_ref},
}
TEXT = 2000  # free-text reasons
# OpenPbR's own columns (docs/records.md): not in MHSDS, carried so an export re-imports exactly.
EXTENSIONS = {
    "MHS801": (Column("PsychosisHistory", required=False, nullable=True, max_length=1),
               Column("SettledAccommodation", required=False, nullable=True, max_length=1),
               Column("AccommodationRecordedOn", "date", required=False, nullable=True, not_future=True)),
    "MHS802": (),
    "MHS803": (Column("ResultCode", required=False, nullable=True),
               Column("RedRules", required=False, nullable=True, text=True, max_length=TEXT),
               Column("ProfileRef", required=False, nullable=True),
               Column("DischargeReason", required=False, nullable=True, text=True, max_length=TEXT)),
}
# Read as text and checked by the import itself.
OVERRIDES = {
    ("MHS803", "Fit"): dict(type="str", max_length=32),  # full float precision round-trips; 0..1 checked later
    ("MHS803", "TransitionReason"): dict(text=True, max_length=TEXT),  # free text, not a code
    ("MHS803", "EndDateCareClust"): dict(not_future=True),
}


def _spec(name: str) -> TableSpec:
    base = tables.MHSDS_SPECS[name]
    cols = []
    for c in (*base.columns, *EXTENSIONS[name]):
        c = replace(c, **OVERRIDES.get((name, c.name), {}))
        col = COLUMNS[name].get(c.name)
        if col is not None and _length(col):
            c = replace(c, max_length=min(c.max_length or _length(col), _length(col)))
        cols.append(c)
    return replace(base, columns=tuple(cols))


SPECS = {n: _spec(n) for n in ("MHS801", "MHS802", "MHS803")}


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    return str(v)


def read_file(path: Path, name: str, as_of: date) -> FileRows:
    """The good rows of one file, each as (line, {field: text}), and its row-level rejects."""
    try:
        res = read_table(path, SPECS[name], as_of=as_of)
    except InputError as exc:
        raise ImportFailed(f"{name}: {exc}", code=exc.code) from None
    out = FileRows(warnings=list(res.warnings))
    out.rejects = [RowError(name, i.line, i.field, i.message, str(i.code)) for i in res.issues]
    names = res.table.column_names
    for line, values in zip(res.lines.tolist(), zip(*(res.table.column(n).to_pylist() for n in names))):
        out.rows.append((int(line), {n: _text(v) for n, v in zip(names, values)}))
    return out
