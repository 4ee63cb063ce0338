"""The one strict reader: every CSV or Parquet input, checked against its declared table.

``read_table(path, spec)`` returns the good rows typed by the spec and every
bad row as a :class:`RowIssue` (file, line, field, named code, message): a bad
row never stops the file, and a message never quotes a value (a value may be
an NHS number). A file that cannot be read as the table at all (missing file,
missing required column, no header) raises :class:`~openpbr.errors.InputError`.

How a CSV is read:

- header names match the spec ignoring case, surrounding spaces and quotes;
  unknown columns are reported (warning) and ignored;
- UTF-8 with or without a BOM; a file that is not UTF-8 is read as Windows
  cp1252 with a warning naming the file (never its content); CRLF is fine;
- values are trimmed; a blank value is null; a row whose every field is blank
  is skipped as a blank line;
- a leading apostrophe that :func:`openpbr.io.safe.excel_safe` adds (before
  ``= + - @ TAB CR``) is removed, so a file the tool wrote reads back exactly;
- ``line`` is the record number counting the header as line 1 (the physical
  line unless a quoted value spans lines); for Parquet it is the row number.

Speed: pyarrow parses the file and every check is vectorised over Arrow
columns; Python touches only the bad rows. A file pyarrow cannot parse (a field
larger than its block) falls back to Python's ``csv`` module with the same rules.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from openpbr.errors import InputError
from openpbr.io.tables import DECIMAL_TYPE, FIELD_LIMIT, MAX_AGE, MIN_BIRTH_YEAR, Column, IssueCode, TableSpec

BLOCK_SIZE = 16 << 20  # a row must fit in one pyarrow block; larger rows take the csv-module path
HEADER_LIMIT = 1 << 20
_SAFE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_ .-]{0,63}$")
_NANO = Decimal("1e-9")
_DECIMAL_MAX = Decimal("1e29")
_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]


@dataclass(frozen=True)
class RowIssue:
    """One bad row (or field): where, which named code, and a message that never quotes the value."""

    file: str
    line: int
    field: str
    code: str
    message: str
    values: Mapping[str, Any] | None = field(default=None, compare=False, repr=False)  # raw values, for routing only

    def __str__(self) -> str:
        return f"{self.file} line {self.line}: {self.field}: {self.message} [{self.code}]"


@dataclass
class ReadResult:
    table: pa.Table  # good rows, typed by the spec, columns in spec order
    issues: list[RowIssue]
    warnings: list[str]
    encoding: str
    rows_read: int  # data rows read (good and bad; blank lines not counted)
    lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))  # line of each good row

    @property
    def ok(self) -> bool:
        return not self.issues


def read_table(path: str | Path, spec: TableSpec, *, as_of: date | None = None) -> ReadResult:
    """Read ``path`` (CSV, or Parquet by its ``.parquet`` suffix) as ``spec``; see the module docstring."""
    path = Path(path)
    file = path.name
    if not path.is_file():
        raise InputError(f"{file}: file not found ({path.parent})", code="FILE_NOT_FOUND")
    if path.suffix.lower() in (".parquet", ".pq"):
        columns, lines, pre, warnings, encoding, blank_skip = _read_parquet(path, spec)
    else:
        columns, lines, pre, warnings, encoding, blank_skip = _read_csv(path, spec)
    table, issues, good_lines, blank = _check(columns, spec, file, lines, as_of, skip_blank=blank_skip)
    issues = sorted(pre + issues, key=lambda i: i.line)
    return ReadResult(table, issues, warnings, encoding, len(lines) + len(pre) - blank, good_lines)


def check_table(table: pa.Table, spec: TableSpec, *, file: str = "(in memory)", as_of: date | None = None,
                require_columns: bool = True) -> tuple[pa.Table, list[RowIssue]]:
    """The same checks on a table already in memory (typed or text): (good rows typed by the spec, issues).

    Line numbers are row numbers from 1. Columns the spec does not declare are dropped. With
    ``require_columns=False`` an absent required column is allowed (callers supplying defaults).
    """
    targets = _match_header(table.column_names, spec, file, [], require=require_columns)
    columns = {t: table.column(i) for i, t in enumerate(targets) if t}
    lines = np.arange(1, table.num_rows + 1, dtype=np.int64)
    good, issues, _, _ = _check(columns, spec, file, lines, as_of, skip_blank=False)
    return good, issues


# -- header ------------------------------------------------------------------------------------------------------

def _key(name: str) -> str:
    return name.replace("\ufeff", "").strip().strip("\"'").strip().lower()


def _shown(name: str, i: int) -> str:
    """A header name fit for a message: never something that looks like data (a headerless file's first row)."""
    clean = name.replace("\ufeff", "").strip().strip("\"'").strip()
    return clean if _SAFE_NAME.match(clean) else f"<column {i + 1}>"


def _match_header(names: list[str], spec: TableSpec, file: str, warnings: list[str],
                  require: bool = True) -> list[str | None]:
    by_key = {c.name.lower(): c.name for c in spec.columns}
    targets: list[str | None] = []
    unknown = []
    for i, n in enumerate(names):
        t = by_key.get(_key(n))
        if t is not None and t in targets:
            raise InputError(f"{file}: column {t} appears twice in the header", code=IssueCode.DUPLICATE_COLUMN.value)
        if t is None and _key(n):
            unknown.append(_shown(n, i))
        targets.append(t)
    missing = [c for c in spec.required if c not in targets]
    if missing and require:
        found = ", ".join(_shown(n, i) for i, n in enumerate(names)) or "nothing"
        raise InputError(f"{file}: missing required column{'s' if len(missing) > 1 else ''} {', '.join(missing)} "
                         f"(the header has: {found})", code=IssueCode.MISSING_COLUMN.value)
    if unknown:
        warnings.append(f"{file}: unknown column{'s' if len(unknown) > 1 else ''} ignored: {', '.join(unknown)} "
                        f"[{IssueCode.UNKNOWN_COLUMN.value}]")
    return targets


# -- CSV -----------------------------------------------------------------------------------------------------------

def _read_csv(path: Path, spec: TableSpec):
    file = path.name
    with path.open("rb") as fh:
        first = fh.readline(HEADER_LIMIT)
    if not first.strip():
        raise InputError(f"{file}: the file is empty (no header line)", code=IssueCode.EMPTY_FILE.value)
    try:
        header = first.decode("utf-8-sig")
        encoding = "utf-8"
    except UnicodeDecodeError:
        header, encoding = first.decode("cp1252", errors="replace"), "cp1252"
    names = next(csv.reader([header.rstrip("\r\n")]), [])
    warnings: list[str] = []
    targets = _match_header(names, spec, file, warnings)
    col_names = [t or f"\x00{i}" for i, t in enumerate(targets)]
    keep = [t for t in targets if t]
    parsed = None
    if encoding == "utf-8":
        try:
            parsed = _arrow_csv(path, col_names, keep, "utf8")
        except pa.ArrowInvalid as exc:
            if "utf8" in str(exc).lower() or "utf-8" in str(exc).lower():
                encoding = "cp1252"
            parsed = None
    if parsed is None and encoding == "cp1252":
        try:
            parsed = _arrow_csv(path, col_names, keep, "cp1252")
        except (pa.ArrowInvalid, UnicodeDecodeError):
            parsed = None
    if parsed is None:
        parsed, encoding = _python_csv(path, targets)
    if encoding != "utf-8":
        warnings.append(f"{file}: not UTF-8; read as Windows cp1252 (save it as UTF-8 to avoid this) "
                        f"[{IssueCode.NOT_UTF8.value}]")
    columns, lines, ragged = parsed
    pre = [RowIssue(file, n, "row", IssueCode.RAGGED_ROW.value,
                    f"{got} fields where the header has {len(targets)}") for n, got in ragged]
    return columns, lines, pre, warnings, encoding, True


def _arrow_csv(path: Path, col_names: list[str], keep: list[str], encoding: str):
    """pyarrow's parser: (columns of text, line of each row, [(line, fields)] of ragged rows)."""
    for threads in (True, False):  # line numbers of ragged rows are known only single-threaded
        ragged: list[tuple[int | None, int]] = []

        def on_bad_row(row, ragged=ragged):
            ragged.append((row.number, row.actual_columns))
            return "skip"

        undecodable: list[BaseException] = []
        hook = sys.unraisablehook
        # pyarrow decodes a ragged row's text before calling the handler; a non-UTF-8 byte there is
        # "ignored" and printed: catch it instead and treat the file as not UTF-8
        sys.unraisablehook = lambda u: undecodable.append(u.exc_value)  # type: ignore[assignment]
        try:
            t = pacsv.read_csv(
                path,
                read_options=pacsv.ReadOptions(column_names=col_names, skip_rows=1, block_size=BLOCK_SIZE,
                                               use_threads=threads, encoding=encoding),
                parse_options=pacsv.ParseOptions(invalid_row_handler=on_bad_row, ignore_empty_lines=False),
                convert_options=pacsv.ConvertOptions(column_types={c: pa.string() for c in keep},
                                                     include_columns=keep, strings_can_be_null=False,
                                                     quoted_strings_can_be_null=False),
            )
        finally:
            sys.unraisablehook = hook
        if undecodable:
            raise pa.ArrowInvalid("invalid UTF8 in a ragged row")
        if not ragged or all(n is not None for n, _ in ragged):
            break
    bad = np.array(sorted(n for n, _ in ragged), dtype=np.int64)
    lines = np.setdiff1d(np.arange(2, t.num_rows + len(bad) + 2, dtype=np.int64), bad, assume_unique=True)
    return {c: t.column(c) for c in keep}, lines, sorted((int(n), k) for n, k in ragged)


def _python_csv(path: Path, targets: list[str | None]):
    """The same result from Python's csv module: for files pyarrow refuses (huge fields, undecodable bytes)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    data = path.read_bytes()
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:  # cp1252 leaves 5 bytes undefined: those become U+FFFD
        text, encoding = data.decode("cp1252", errors="replace"), "cp1252"
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader, None)
        pos = [(i, t) for i, t in enumerate(targets) if t]
        values: dict[str, list[str]] = {t: [] for _, t in pos}
        lines, ragged = [], []
        n = len(targets)
        record = 1
        for row in reader:
            record += 1
            if not row:
                continue
            if len(row) != n:
                ragged.append((record, len(row)))
                continue
            lines.append(record)
            for i, t in pos:
                values[t].append(row[i])
    finally:
        csv.field_size_limit(limit)
    columns = {t: pa.chunked_array([pa.array(v, pa.string())]) for t, v in values.items()}
    return (columns, np.array(lines, dtype=np.int64), ragged), encoding


# -- Parquet -------------------------------------------------------------------------------------------------------

def _read_parquet(path: Path, spec: TableSpec):
    import pyarrow.parquet as pq

    file = path.name
    try:
        t = pq.read_table(path)
    except (pa.ArrowException, OSError):
        raise InputError(f"{file}: not a readable Parquet file", code="BAD_FILE") from None
    warnings: list[str] = []
    targets = _match_header(t.column_names, spec, file, warnings)
    columns = {tg: t.column(i) for i, tg in enumerate(targets) if tg}
    return columns, np.arange(1, t.num_rows + 1, dtype=np.int64), [], warnings, "parquet", False


# -- checks --------------------------------------------------------------------------------------------------------

def _np(mask) -> np.ndarray:
    if mask.null_count:
        mask = pc.fill_null(mask, False)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


def _text(arr) -> tuple[pa.ChunkedArray, bool]:
    """(trimmed text, nulls as "", whether every value is ASCII)."""
    if isinstance(arr, pa.Array):
        arr = pa.chunked_array([arr])
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        if pa.types.is_timestamp(arr.type):
            arr = arr.cast(pa.date32())
        arr = arr.cast(pa.string())
    if arr.null_count:
        arr = arr.fill_null("")
    if pc.all(pc.string_is_ascii(arr)).as_py() is not False:
        return pc.ascii_trim_whitespace(arr), True
    return pc.utf8_trim_whitespace(arr), False


def _non_ascii_digits(text: pa.ChunkedArray) -> np.ndarray:
    """Values holding a digit that is not ASCII 0-9 (int() would accept some; refuse them all)."""
    cand = np.flatnonzero(_np(pc.match_substring_regex(text, r"[^\x00-\x7f]")))
    out = np.zeros(len(text), dtype=bool)
    if len(cand):
        for i, v in zip(cand, pc.take(text, pa.array(cand)).to_pylist()):
            out[i] = any(unicodedata.category(ch) in ("Nd", "No") or ch.isdigit() for ch in v if ord(ch) > 127)
    return out


class _Field:
    """Issues of one column: the first problem per value, in priority order."""

    def __init__(self, n: int):
        self.bad = np.zeros(n, dtype=bool)
        self.found: list[tuple[np.ndarray, IssueCode, str]] = []

    def add(self, mask: np.ndarray, code: IssueCode, message: str, offset: int = 0) -> None:
        bad = self.bad[offset:offset + len(mask)]
        m = mask & ~bad
        if m.any():
            self.found.append((np.flatnonzero(m) + offset, code, message))
            bad |= m


def _decimal_loses(text: pa.ChunkedArray, ok: np.ndarray) -> np.ndarray:
    """Decimal-shaped values that do not fit decimal(38, 9) exactly (more than 9 places, too large)."""
    candidates = pc.if_else(pa.array(ok), pc.replace_substring_regex(text, r"^\+", ""), pa.scalar(None, pa.string()))
    out = np.zeros(len(text), dtype=bool)
    try:
        candidates.cast(DECIMAL_TYPE)
        return out
    except pa.ArrowInvalid:
        pass
    for i in np.flatnonzero(ok):  # rare: find the offenders one by one
        d = Decimal(str(text[int(i)]))
        out[i] = d != d.quantize(_NANO, rounding=ROUND_DOWN) if abs(d) < _DECIMAL_MAX else True
    return out


def _date_typed(text: pa.ChunkedArray, iso: np.ndarray) -> tuple[pa.ChunkedArray, np.ndarray]:
    """(date32 values, mask of ISO-shaped values that are not real calendar dates)."""
    candidates = pc.if_else(pa.array(iso), text, pa.scalar(None, pa.string()))
    try:
        return candidates.cast(pa.date32()), np.zeros(len(text), dtype=bool)
    except pa.ArrowInvalid:  # e.g. 2024-02-30 somewhere: find which
        ts = pc.strptime(candidates, format="%Y-%m-%d", unit="s", error_is_null=True)
        real = pc.equal(pc.strftime(ts, format="%Y-%m-%d"), candidates)
        ok = _np(real)
        typed = pc.if_else(pa.array(ok), ts, pa.scalar(None, ts.type)).cast(pa.date32())
        return typed, iso & ~ok


SLICE = 2048  # rows cast at once: a bad value sends only its slice down the slow (regex) path


def _has_nul(text: pa.ChunkedArray) -> bool:
    """Any NUL byte in the column's data buffers (a cheap scan; a hit is confirmed value by value)."""
    for chunk in text.chunks:
        buf = chunk.buffers()[2]
        if buf is not None and buf.size and not np.frombuffer(buf, dtype=np.uint8).all():
            return True
    return False


def _longer(text: pa.ChunkedArray, limit: int) -> np.ndarray | None:
    """Values longer than ``limit`` characters, or None when none can be (bytes >= characters)."""
    if not len(text) or (pc.max(pc.binary_length(text)).as_py() or 0) <= limit:
        return None
    return _np(pc.greater(pc.utf8_length(text), limit))


def _fast_cast(part: pa.ChunkedArray, col: Column) -> pa.ChunkedArray | None:
    """The slice cast in one go when every value is well formed; None sends it to the slow path."""
    if col.type == "int":
        if (pc.max(pc.binary_length(part)).as_py() or 0) > 18 or pc.any(pc.match_substring(part, "x")).as_py():
            return None  # cast would take hex (0x10) and 19-digit values the slow path refuses
    try:
        return part.cast(col.arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


def _parse_slow(text: pa.ChunkedArray, col: Column, empty: np.ndarray, bad: np.ndarray):
    """(typed slice, [(mask, code, message)]): each value classified by pattern."""
    found: list[tuple[np.ndarray, IssueCode, str]] = []
    if col.type == "int":
        ok = _np(pc.match_substring_regex(text, r"^[+-]?[0-9]{1,18}$"))
        found.append((~empty & ~ok, IssueCode.NOT_A_NUMBER, "not a whole number"))
        typed = pc.if_else(pa.array(ok & ~bad), pc.replace_substring_regex(text, r"^\+", ""),
                           pa.scalar(None, pa.string())).cast(pa.int64())
    elif col.type == "decimal":
        ok = _np(pc.match_substring_regex(text, r"^[+-]?([0-9]{1,29}(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]{1,2})?$"))
        ok &= ~bad
        ok &= ~_decimal_loses(text, ok)
        found.append((~empty & ~ok, IssueCode.NOT_A_NUMBER,
                      "not an exact decimal number (digits and one point, at most 9 places; no currency signs or commas)"))
        typed = pc.if_else(pa.array(ok), pc.replace_substring_regex(text, r"^\+", ""),
                           pa.scalar(None, pa.string())).cast(col.arrow_type)
    else:  # date
        iso = _np(pc.match_substring_regex(text, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")) & ~bad
        dayfirst = _np(pc.match_substring_regex(text, r"^[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2,4}$"))
        found.append((dayfirst, IssueCode.DAY_FIRST_DATE, "a day-first date: write dates as ISO YYYY-MM-DD"))
        typed, unreal = _date_typed(text, iso)
        found.append((unreal, IssueCode.NOT_ISO_DATE, "not a real calendar date"))
        found.append((~empty & ~iso, IssueCode.NOT_ISO_DATE, "not an ISO date (YYYY-MM-DD)"))
    return typed, found


def _native(arr, col: Column) -> pa.ChunkedArray | None:
    """The column as the spec's type when it already is one (no text to check), else None."""
    t = arr.type
    same = (col.type == "int" and pa.types.is_integer(t)) or (col.type == "date" and pa.types.is_date(t)) or \
        (col.type == "bool" and pa.types.is_boolean(t)) or (col.type == "decimal" and pa.types.is_decimal(t))
    if not same:
        return None
    try:
        out = arr.cast(col.arrow_type)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # e.g. a decimal with more than 9 places
        return None
    return out if isinstance(out, pa.ChunkedArray) else pa.chunked_array([out])


def _convert(arr, col: Column, as_of: date | None) -> tuple[pa.ChunkedArray, _Field, np.ndarray]:
    """(typed column, its issues, which values are blank)."""
    native = _native(arr, col)
    if native is not None:  # already typed (Parquet, a bundle built in memory): only blanks and plausibility
        f = _Field(len(native))
        empty = _np(native.is_null())
        if not col.nullable and empty.any():
            f.add(empty, IssueCode.REQUIRED_VALUE_MISSING, "blank: a value is required")
        _plausible(native, col, as_of, f)
        return native, f, empty
    text, ascii_only = _text(arr)
    n = len(text)
    f = _Field(n)
    empty = _np(pc.equal(text, ""))
    if _has_nul(text):
        f.add(_np(pc.match_substring(text, "\x00")), IssueCode.NUL_BYTE, "contains a NUL byte")
    limit = (col.max_length or FIELD_LIMIT) if col.text else FIELD_LIMIT
    too_long = _longer(text, limit)
    if too_long is not None:
        f.add(too_long, IssueCode.FIELD_TOO_LONG, f"longer than {limit:,} characters")
    if not col.text and not ascii_only:
        f.add(_non_ascii_digits(text), IssueCode.NON_ASCII_DIGITS, "digits must be ASCII 0-9")
    null = pa.scalar(None, col.arrow_type)
    if col.type == "str":
        if pc.any(pc.starts_with(text, "'")).as_py():
            text_out = pc.replace_substring_regex(text, r"^'([=+\-@\t\r])", r"\1")
        else:
            text_out = text
        typed = pc.if_else(pa.array(empty), null, text_out) if empty.any() else text_out
    elif col.type == "bool":
        low = pc.utf8_lower(text)
        yes, no = _np(pc.is_in(low, value_set=pa.array(_TRUE))), _np(pc.is_in(low, value_set=pa.array(_FALSE)))
        f.add(~empty & ~yes & ~no, IssueCode.NOT_A_BOOLEAN, "not true/false (or yes/no, y/n, 1/0)")
        typed = pc.if_else(pa.array(yes), True, pc.if_else(pa.array(no), False, null))
    else:
        skip = empty | f.bad
        cand = pc.if_else(pa.array(skip), pa.scalar(None, pa.string()), text) if skip.any() else text
        chunks: list[pa.Array] = []
        for off in range(0, n, SLICE):
            part = _fast_cast(cand.slice(off, SLICE), col)
            if part is None:
                m = min(SLICE, n - off)
                part, found = _parse_slow(text.slice(off, SLICE), col, empty[off:off + m], f.bad[off:off + m])
                for mask, code, message in found:
                    f.add(mask, code, message, offset=off)
            chunks += part.chunks if isinstance(part, pa.ChunkedArray) else [part]
        typed = pa.chunked_array([pa.chunked_array(chunks, col.arrow_type).combine_chunks()])  # one layout for all
    if not col.nullable and empty.any():
        f.add(empty, IssueCode.REQUIRED_VALUE_MISSING, "blank: a value is required")
    if col.type == "str" and col.max_length and not col.text:
        too_long = _longer(text, col.max_length)
        if too_long is not None:
            f.add(too_long, IssueCode.TOO_LONG_CODE, f"longer than {col.max_length} characters")
    typed = pa.chunked_array(typed.chunks if isinstance(typed, pa.ChunkedArray) else [typed], col.arrow_type)
    _plausible(typed, col, as_of, f)
    return typed, f, empty


def _plausible(typed: pa.ChunkedArray, col: Column, as_of: date | None, f: _Field) -> None:
    if col.not_future and as_of is not None:
        f.add(_np(pc.greater(typed, pa.scalar(as_of, pa.date32()))), IssueCode.FUTURE_DATE,
              f"after the as-of date {as_of.isoformat()}")
    if col.birth_year:
        lo = as_of.year - MAX_AGE if as_of else MIN_BIRTH_YEAR
        out = pc.less(typed, lo)
        if as_of is not None:
            out = pc.or_(out, pc.greater(typed, as_of.year))
        f.add(_np(out), IssueCode.BIRTH_YEAR_OUT_OF_RANGE,
              f"not a plausible birth year ({lo}..{as_of.year if as_of else ''})".replace("..)", " or later)"))
    if col.non_negative:
        code = IssueCode.NEGATIVE_AMOUNT if col.non_negative == "amount" else IssueCode.NEGATIVE_QUANTITY
        f.add(_np(pc.less(typed, pa.scalar(0, typed.type) if col.type != "decimal" else pa.scalar(0).cast(typed.type))),
              code, f"negative {col.non_negative}")


def _keep_rows(table: pa.Table, keep: np.ndarray) -> pa.Table:
    """The kept rows: zero-copy slices around a few bad rows, a filter when there are many."""
    edges = np.flatnonzero(np.diff(np.r_[0, keep.astype(np.int8), 0]))
    runs = edges.reshape(-1, 2)
    if len(runs) > 1000:
        return table.filter(pa.array(keep))
    if not len(runs):
        return table.slice(0, 0)
    return pa.concat_tables([table.slice(int(s), int(e - s)) for s, e in runs])


def _check(columns: dict[str, Any], spec: TableSpec, file: str, lines: np.ndarray, as_of: date | None,
           skip_blank: bool) -> tuple[pa.Table, list[RowIssue], np.ndarray, int]:
    n = len(lines)
    present = [c for c in spec.columns if c.name in columns]
    typed: dict[str, pa.ChunkedArray] = {}
    fields: dict[str, _Field] = {}
    empties = []
    for col in present:
        typed[col.name], fields[col.name], empty = _convert(columns[col.name], col, as_of)
        empties.append(empty)
    blank = np.zeros(n, dtype=bool)
    if skip_blank and present:
        blank = np.logical_and.reduce(empties)
    for start, end in spec.ordered:
        if start in typed and end in typed:
            rev = _np(pc.less(typed[end], typed[start])) & ~fields[start].bad
            fields[end].add(rev, IssueCode.END_BEFORE_START, f"before {start}")
    bad = np.zeros(n, dtype=bool)
    for f in fields.values():
        bad |= f.bad
    bad &= ~blank
    issues: list[RowIssue] = []
    if bad.any():
        idx = np.flatnonzero(bad)
        take = pa.array(idx)
        raw = {c.name: _text(pc.take(columns[c.name], take))[0].to_pylist() for c in present}
        values = {int(i): {k: v[j] for k, v in raw.items()} for j, i in enumerate(idx)}
        for col in present:
            for rows, code, message in fields[col.name].found:
                for i in rows:
                    if not blank[i]:
                        issues.append(RowIssue(file, int(lines[i]), col.name, code.value, message, values[int(i)]))
        issues.sort(key=lambda x: x.line)
    keep = ~bad & ~blank
    out = pa.table({c.name: typed[c.name] for c in present}, schema=spec.schema([c.name for c in present]))
    if not keep.all():
        out = _keep_rows(out, keep)
    return out, issues, lines[keep], int(blank.sum())


__all__ = ["ReadResult", "RowIssue", "read_table", "check_table"]
