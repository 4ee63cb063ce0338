"""Reading one MHSDS-shape CSV file without letting one bad value stop the import.

Hostile input becomes a row-level reject with file, line, field and a named
code; good rows are kept:

- a file that is not UTF-8 is read as Windows-1252 (a £ typed in Excel), with a
  warning naming the file;
- a NUL byte (``NUL_BYTE``), a field over :data:`MAX_FIELD` characters
  (``FIELD_TOO_LARGE``), a value longer than its database column
  (``TOO_LONG``, lengths taken from the models so both backends agree) and a
  non-ASCII digit such as a superscript or Arabic-Indic digit
  (``NON_ASCII_DIGIT``) reject the row before any check or write;
- a missing file or required column stops the import before anything is written.

Messages never quote a value that could be an NHS number (see :func:`show`).
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import String

from openpbr.errors import InputError
from openpbr.records.models import Assessment, ClusterPeriod, Organisation, ServiceUser, Team

MAX_FIELD = 4000  # characters: free text longer than this is not part of a clinical record
_CSV_LIMIT = 64 * 1024 * 1024  # read huge fields so they can be rejected row by row, not crash the reader
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


# Each field that lands in a column, checked against that column's declared length.
COLUMNS = {
    "MHS801": {
        "ClustId": Assessment.__table__.c.clust_id, "LocalPatientId": ServiceUser.__table__.c.pseudo_id,
        "OrgIDProv": Organisation.__table__.c.ods_code, "CareProfTeamLocalId": Team.__table__.c.code,
        "CareProfLocalId": Assessment.__table__.c.assessor, "ClustCat": Assessment.__table__.c.clust_cat,
        "ClustToolAssReason": Assessment.__table__.c.reason,
    },
    "MHS802": {"ClustId": Assessment.__table__.c.clust_id, "ProblemType": Assessment.__table__.c.item_08_type},
    "MHS803": {
        "ClustId": Assessment.__table__.c.clust_id, "AMHCareClustCodeFin": ClusterPeriod.__table__.c.chosen_cluster,
        "OrgIDComm": Organisation.__table__.c.ods_code, "SuggestedCluster": ClusterPeriod.__table__.c.suggested_cluster,
        "ChosenBy": ClusterPeriod.__table__.c.chosen_by, "ResultCode": ClusterPeriod.__table__.c.result_code,
        "ProfileRef": ClusterPeriod.__table__.c.profile_ref, "ReviewedBy": ClusterPeriod.__table__.c.chosen_by,
        "DischargedBy": ClusterPeriod.__table__.c.chosen_by,
    },
}
MAX_LENGTH = {f: {name: _length(col) for name, col in cols.items()} for f, cols in COLUMNS.items()}
# Fields read as numbers, dates or codes: every digit must be ASCII.
DIGIT_FIELDS = {
    "NHSNumber", "BirthYear", "AssToolCompDate", "ClustCat", "MHCareClusterSuperClass", "AMHCareClustCodeInit",
    "PersScore", "StartDateCareClust", "EndDateCareClust", "AMHCareClustCodeFin", "SuggestedCluster", "Fit",
    "ReviewedOn",
}


def _decode(path: Path, data: bytes, out: FileRows) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        out.warnings.append(f"{path.name} is not UTF-8: read as Windows-1252 (cp1252); save it as UTF-8 to be sure")
        return data.decode("cp1252", errors="replace")


def _check(name: str, fld: str, value: str) -> tuple[str, str] | None:
    """(code, reason) when the value cannot be used whatever the field's own rules say."""
    if "\x00" in value:
        return "NUL_BYTE", "contains a NUL byte"
    if len(value) > MAX_FIELD:
        return "FIELD_TOO_LARGE", f"{len(value):,} characters: over the {MAX_FIELD:,} a field may hold"
    limit = MAX_LENGTH[name].get(fld)
    if limit is not None and len(value) > limit:
        return "TOO_LONG", f"{len(value)} characters: longer than the {limit} this field holds"
    if fld in DIGIT_FIELDS and not value.isascii() and any(c.isdigit() or c.isnumeric() for c in value):
        return "NON_ASCII_DIGIT", "digits must be 0-9 (superscript, Arabic-Indic and other digits are refused)"
    return None


def read_file(path: Path, name: str, required: tuple[str, ...]) -> FileRows:
    """The rows of one file, each as (line, {field: stripped value}), and its row-level rejects."""
    if not path.exists():
        raise ImportFailed(f"{name}: file {path.name} not found")
    out = FileRows()
    text = _decode(path, path.read_bytes(), out)
    old_limit = csv.field_size_limit(_CSV_LIMIT)
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = [h.strip().strip("\x00") for h in next(reader, [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise ImportFailed(f"{name}: missing columns {', '.join(missing)}")
        for fields in reader:
            if not fields or fields == [""]:
                continue
            # csv.DictReader's rules: short rows padded, extra and unnamed fields dropped
            row = dict(zip(header, map(str.strip, fields)))
            if len(fields) < len(header):
                row.update(dict.fromkeys(header[len(fields):], ""))
            row.pop("", None)
            bad = next(((f, hit) for f, v in row.items() if v and (hit := _check(name, f, v))), None)
            if bad:
                (fld, (code, reason)) = bad
                out.rejects.append(RowError(name, reader.line_num, fld, reason, code))
            else:
                out.rows.append((reader.line_num, row))
    except csv.Error as exc:  # a stray quote can swallow the rest of the file: refuse it whole, naming the line
        raise ImportFailed(f"{name}: line {reader.line_num}: the CSV cannot be read ({exc.__class__.__name__})") from None
    finally:
        csv.field_size_limit(old_limit)
    return out
