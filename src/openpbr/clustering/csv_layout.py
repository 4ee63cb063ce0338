"""How an assessments CSV is laid out: its encoding, its header, the columns we read.

Files come from Excel as often as from systems, so:

- the encoding is probed on the first block: UTF-8 (with or without a BOM), or
  Windows-1252 (cp1252, Excel's "CSV" on Windows) with a warning naming the
  file. A cp1252 byte found further on restarts the read as cp1252 (see
  :class:`NotUtf8`), so a clean UTF-8 file pays nothing for the check;
- header names match without regard to case or surrounding spaces, quoted or
  not; a column we read that appears twice is refused (which one would be
  meant?), other columns are ignored whatever their names;
- ragged rows (too few or too many fields) are handed to ``on_ragged`` with
  their row number instead of stopping the file. The reader runs
  single-threaded because only then does pyarrow know row numbers; the
  clustering batch path overlaps reading with scoring on its own thread, so
  this costs nothing there.
"""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable

import pyarrow as pa
import pyarrow.csv as pacsv

from openpbr.errors import InputError

UTF8, CP1252 = "utf-8", "cp1252"
BOM = codecs.BOM_UTF8
BLOCK_SIZE = 8 << 20


class UnreadableFile(InputError):
    """The input cannot be processed at all (missing file, missing or repeated required columns, not text)."""

    code = "UNREADABLE_FILE"


class NotUtf8(Exception):
    """A byte that is not UTF-8 turned up after the probe: read the file again as cp1252."""


def cp1252_warning(path: Path) -> str:
    return f"{path}: not UTF-8; read as Windows-1252 (cp1252), as Excel saves CSV files"


@dataclass(frozen=True)
class Layout:
    path: Path
    names: tuple[str, ...]  # one per file column: our column name, or a placeholder for columns we ignore
    present: frozenset[str]  # the known columns the file has
    encoding: str
    warnings: tuple[str, ...] = ()

    def as_cp1252(self) -> "Layout":
        return replace(self, encoding=CP1252, warnings=(*self.warnings, cp1252_warning(self.path)))


def read_layout(path: Path, required: Iterable[str], optional: Iterable[str], probe: int = BLOCK_SIZE) -> Layout:
    """Check the file can be read and map its header; raise :class:`UnreadableFile` when it cannot."""
    required, optional = tuple(required), tuple(optional)
    if not path.is_file():
        raise UnreadableFile(f"{path}: no such file")
    try:
        with path.open("rb") as f:
            head = f.read(probe)
    except OSError as exc:
        raise UnreadableFile(f"{path}: cannot be read ({exc.strerror or type(exc).__name__})") from None
    head = head.removeprefix(BOM)
    encoding, warnings = UTF8, ()
    try:
        text = codecs.getincrementaldecoder(UTF8)().decode(head, final=False)
    except UnicodeDecodeError:
        encoding, warnings = CP1252, (cp1252_warning(path),)
        try:
            text = head.decode(CP1252)
        except UnicodeDecodeError:
            raise UnreadableFile(f"{path}: neither UTF-8 nor Windows-1252 text") from None
    if not text.strip():
        raise UnreadableFile(f"{path}: empty file (no header row)")
    if "\x00" in text.split("\n", 1)[0]:
        raise UnreadableFile(f"{path}: the header row holds a NUL byte; is this a CSV file?")
    header = next(csv.reader(io.StringIO(text)))
    known = set(required) | set(optional)
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(header):
        name = raw.strip().lower()
        if name in known:
            if name in seen:
                raise UnreadableFile(f"{path}: column {name} appears twice (columns {seen[name] + 1} and {i + 1})")
            seen[name] = i
            names.append(name)
        else:
            names.append(f"_ignored_{i}")
    missing = [c for c in required if c not in seen]
    if missing:
        raise UnreadableFile(f"{path}: missing required column(s): {', '.join(missing)}")
    return Layout(path=path, names=tuple(names), present=frozenset(seen), encoding=encoding, warnings=warnings)


def open_reader(
    layout: Layout,
    types: dict[str, pa.DataType],
    on_ragged: Callable[[pacsv.InvalidRow], None],
    block_size: int = BLOCK_SIZE,
) -> tuple[pacsv.CSVStreamingReader, pa.NativeFile]:
    """A streaming reader of the columns in ``types`` and the raw stream (for progress by bytes)."""

    def handler(row: pacsv.InvalidRow) -> str:
        on_ragged(row)
        return "skip"

    stream = pa.input_stream(str(layout.path))
    reader = pacsv.open_csv(
        stream,
        read_options=pacsv.ReadOptions(
            block_size=block_size,
            use_threads=False,  # row numbers of ragged rows are known only when parsing serially
            column_names=list(layout.names),
            skip_rows=1,
            encoding=layout.encoding,
        ),
        parse_options=pacsv.ParseOptions(invalid_row_handler=handler),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            include_columns=[c for c in layout.names if c in types],
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    return reader, stream


def is_utf8_failure(exc: BaseException) -> bool:
    return isinstance(exc, pa.ArrowInvalid) and "invalid UTF8" in str(exc)


def arrow_message(path: Path, exc: BaseException) -> str:
    """pyarrow's message without the row text it sometimes quotes (a row can hold personal data)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    if "CSV parse error" in text:
        text = text.split(":", 2)[1].strip() if text.count(":") >= 2 else "CSV parse error"
    if "straddling" in text or "straddles" in text:
        text = f"a row is longer than the {BLOCK_SIZE >> 20} MiB read block (an unclosed quote?)"
    return f"{path}: cannot be read as CSV ({text})"
