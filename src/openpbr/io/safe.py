"""Writing files a user can trust: all-or-nothing, and safe to open in Excel.

- :func:`atomic_path` writes to a temporary name beside the target and renames
  it into place only when the block succeeds, so a killed or failed write never
  leaves a half-written file. Missing parent folders are created.
- :func:`excel_safe` neutralises formula injection: a text cell starting with
  ``=``, ``+``, ``-``, ``@``, tab or CR gets a leading apostrophe (OWASP's
  advice), so Excel shows it as text and never runs it. Numbers are untouched,
  so a negative amount such as ``-12.50`` stays a number.
"""

from __future__ import annotations

import csv
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def excel_safe(value: Any) -> Any:
    """A cell value that Excel will show, never evaluate."""
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """``open`` for writing that leaves either the whole new file or the old one."""
    if "b" not in mode:
        kwargs.setdefault("encoding", "utf-8")
        kwargs.setdefault("newline", "")
    with atomic_path(path) as tmp, tmp.open(mode, **kwargs) as fh:
        yield fh


def write_csv_rows(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """A CSV file written atomically, every text cell made Excel-safe."""
    with atomic_open(path) as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow([excel_safe(h) for h in header])
        for row in rows:
            w.writerow([excel_safe(v) for v in row])
    return Path(path)


def _csv_line(values: Sequence[Any]) -> str:
    import io

    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(values)
    return buf.getvalue()


def write_table_csv(table: Any, path: str | Path) -> Path:
    """A pyarrow Table as CSV: atomic, string cells Excel-safe, header names bare.

    pyarrow quotes header names whatever the quoting style, so the header line is
    written by the csv module (bare, quoted only when needed) and the rows by
    pyarrow; any CSV reader, ours included, reads back the same names.
    """
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    cols = []
    for col in table.columns:
        if pa.types.is_string(col.type) or pa.types.is_large_string(col.type):
            risky = pc.any(pc.match_substring_regex(col, r"^[=+\-@\t\r]")).as_py()
            if risky:
                col = pa.array([excel_safe(v) for v in col.to_pylist()], type=col.type)
        cols.append(col)
    safe = pa.table(cols, names=table.column_names)
    with atomic_path(path) as tmp, tmp.open("wb") as fh:
        fh.write((_csv_line([excel_safe(n) for n in safe.column_names])).encode("utf-8"))
        # pyarrow quotes header names whatever the quoting style, and its include_header=False was seen to
        # write raw buffer bytes: each block is written with its header, which is then dropped
        for batch in safe.to_batches(max_chunksize=65_536):
            out = pa.BufferOutputStream()
            pacsv.write_csv(pa.Table.from_batches([batch], safe.schema), out,
                            write_options=pacsv.WriteOptions(quoting_style="needed"))
            block = out.getvalue().to_pybytes()
            fh.write(block[block.index(b"\n") + 1:])
    return Path(path)
