"""Properties of the reader: what the tool writes reads back equal; both parsers agree."""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from openpbr.io import reader
from openpbr.io.reader import read_table
from openpbr.io.safe import FORMULA_START, write_table_csv
from openpbr.io.tables import Column, TableSpec

SPEC = TableSpec("props", (
    Column("code", "str", nullable=True, max_length=64), Column("n", "int", nullable=True),
    Column("on", "date", nullable=True), Column("amount", "decimal", nullable=True),
    Column("flag", "bool", nullable=True), Column("note", "str", nullable=True, text=True),
))


def _ok_char(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return not cat.startswith("C") and not (ord(ch) > 127 and (cat in ("Nd", "No") or ch.isdigit()))


# Text as the reader keeps it: no surrounding whitespace (values are trimmed), no control characters, no
# non-ASCII digits (refused), not blank (blank is null). A formula start may lead: the writer escapes it.
_core = st.text(st.characters(codec="utf-8").filter(_ok_char), min_size=1, max_size=12).filter(
    lambda s: s == s.strip())
texts = st.builds(lambda p, s: p + s, st.sampled_from(("",) + FORMULA_START), _core).filter(
    lambda s: not s.startswith("'"))  # documented: a value of its own starting "'=" reads back without the "'"

rows = st.lists(st.tuples(
    st.none() | texts, st.none() | st.integers(-(10**17), 10**17), st.none() | st.dates(),
    st.none() | st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=9, allow_nan=False),
    st.none() | st.booleans(), st.none() | texts,
).filter(lambda r: any(v is not None for v in r)), min_size=1, max_size=30)  # all-blank rows are skipped


@given(rows)
def test_written_tables_read_back_equal(tmp_path_factory, data):
    cols = list(zip(*data))
    table = pa.table([pa.array(c, f.type) for c, f in zip(cols, SPEC.schema())], schema=SPEC.schema())
    path = tmp_path_factory.mktemp("rt") / "t.csv"
    write_table_csv(table, path)
    got = read_table(path, SPEC)
    assert got.issues == [] and got.warnings == []
    assert got.table.to_pylist() == table.to_pylist()


_cell = st.sampled_from(["", "a", "04", " 7 ", '"x,y"', "2024-01-01", "31/01/2024", "\u0664", "-3", "=1"])
_line = st.lists(_cell, min_size=0, max_size=8).map(",".join)


@given(st.lists(_line, max_size=25), st.booleans())
def test_pyarrow_and_csv_module_paths_agree(tmp_path_factory, lines, crlf):
    path = tmp_path_factory.mktemp("p") / "t.csv"
    eol = "\r\n" if crlf else "\n"
    path.write_bytes(("code,n,on,amount,flag,note" + eol + eol.join(lines) + eol).encode())
    targets = ["code", "n", "on", "amount", "flag", "note"]
    fast = reader._arrow_csv(path, targets, targets, "utf8")
    (slow, enc) = reader._python_csv(path, targets)
    assert enc == "utf-8"
    blank_fast = [i for i in range(len(fast[1])) if all(fast[0][t][i].as_py() == "" for t in targets)]
    keep_fast = [i for i in range(len(fast[1])) if i not in blank_fast]
    # pyarrow reads a blank line as an all-blank row, the csv module skips it: the reader drops both
    assert [int(fast[1][i]) for i in keep_fast] == [int(x) for i, x in enumerate(slow[1])
                                                     if any(slow[0][t][i].as_py() != "" for t in targets)]
    assert fast[2] == slow[2]
