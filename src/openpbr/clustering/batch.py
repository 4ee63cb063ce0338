"""Streaming batch clustering: CSV in, CSV out, one output row per input row.

The file is read in blocks with pyarrow, so memory stays flat whatever the
file size. Small-cardinality columns (ratings, codes, dates) are read
dictionary-encoded: each distinct text is parsed once per block, then mapped
to every row with a NumPy gather. Rows that fail validation are re-checked
by the scalar validator (``Assessment.from_mapping``) so a batch row and a
single assessment always get the same message.
"""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from openpbr.clustering.codes import ResultCode
from openpbr.clustering.csv_layout import (
    Layout,
    NotUtf8,
    UnreadableFile,
    arrow_message,
    is_utf8_failure,
    open_reader,
    read_layout,
)
from openpbr.clustering.engine import STATUS, S_OK, S_VARIANCE, TOP, score
from openpbr.clustering.profiles import ProfileSet
from openpbr.clustering.ratings import (
    CLUSTER_CODES,
    ITEM_CODES,
    NOT_KNOWN,
    PROBLEM_TYPES,
    VALID_RATINGS,
    Assessment,
    MAX_ID_LENGTH,
    AssessmentError,
    ascii_digits,
)
from openpbr.clustering.review import review_due_indexed
from openpbr.clustering.suggest import red_rule_list
from openpbr.io.safe import atomic_path

REQUIRED = ("assessment_id", *ITEM_CODES, "item_08_type")
OPTIONAL = ("assessed_on", "psychosis_history", "age", "previous_cluster")
OUTPUT = (
    "assessment_id", "super_class", "cluster", "fit", "cluster_2", "fit_2", "cluster_3", "fit_3",
    "red_rules", "review_due", "result_code", "message",
)  # fmt: skip
DICT = pa.dictionary(pa.int32(), pa.string())
MISSING, INVALID = -2, -3
FIT_TEXT = pa.array([f"{v / 1000:.3f}" for v in range(1001)])
CODE_TEXT = pa.array([c.value for c in ResultCode])
CODE_INDEX = {c: i for i, c in enumerate(ResultCode)}


@dataclass
class Summary:
    rows: int = 0
    codes: Counter = field(default_factory=Counter)
    clusters: Counter = field(default_factory=Counter)
    red_rule_rows: int = 0
    warnings: list[str] = field(default_factory=list)  # file-level, e.g. read as cp1252

    @property
    def bad_rows(self) -> int:
        return sum(n for c, n in self.codes.items() if not ResultCode(c).clustered)

    def add(self, other: "Summary") -> None:
        self.rows += other.rows
        self.codes.update(other.codes)
        self.clusters.update(other.clusters)
        self.red_rule_rows += other.red_rule_rows


def dictionary_codes(arr: pa.Array, parse: Callable[[str], int], missing: int = MISSING) -> np.ndarray:
    """Map a dictionary-encoded column to int codes: each distinct text parsed once."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if not pa.types.is_dictionary(arr.type):
        arr = pc.dictionary_encode(arr)
    words = arr.dictionary.to_pylist()
    lut = np.array([parse(w.strip()) if w is not None and w.strip() else missing for w in words] + [missing], dtype=np.int64)
    idx = arr.indices.fill_null(len(words)).to_numpy(zero_copy_only=False)
    return lut[idx]


def _rating(text: str) -> int:
    return int(text) if ascii_digits(text) and len(text) < 4 and int(text) in VALID_RATINGS else INVALID


def _problem_type(text: str) -> int:
    return 0 if text.upper() in PROBLEM_TYPES else INVALID


def _yes_no(text: str) -> int:
    return {"Y": 1, "N": 0}.get(text.upper(), INVALID)


def _age(text: str) -> int:
    return int(text) if ascii_digits(text) and len(text) <= 3 and int(text) <= 125 else INVALID


def _date_days(text: str) -> int:
    try:
        if not text.isascii():
            raise ValueError(text)
        return (date.fromisoformat(text) - date(1970, 1, 1)).days
    except ValueError:
        return INVALID_DATE


INVALID_DATE = -(10**9)
MISSING_DATE = -(10**9) - 1


def _previous(profiles: ProfileSet) -> Callable[[str], int]:
    index = {c: i for i, c in enumerate(profiles.clusters)}

    def parse(text: str) -> int:
        code = f"{int(text):02d}" if ascii_digits(text) and len(text) <= 2 else None
        if code not in CLUSTER_CODES:
            return INVALID
        return index.get(code, MISSING)  # 00 is valid but is not a scored cluster

    return parse


def _dict_strings(values: list[str], idx: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    mask = None if valid is None else ~valid
    return pa.DictionaryArray.from_arrays(pa.array(idx.astype(np.int32), mask=mask), pa.array(values))


def suspect_ids(aid: pa.Array) -> np.ndarray:
    """Rows whose assessment_id is blank, too long or holds control characters (the validator names which)."""
    blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(aid), ""), True)
    odd = pc.or_(pc.greater(pc.utf8_length(aid), MAX_ID_LENGTH), pc.match_substring_regex(aid, r"[\x00-\x1f\x7f]"))
    return np.asarray(pc.or_(blank, pc.fill_null(odd, False)).to_numpy(zero_copy_only=False))


@dataclass
class ParsedBlock:
    """One block of assessment rows, parsed and validated column by column."""

    ratings: np.ndarray  # [n, 18] 0-4 or 9 (rows with errors hold 9s)
    psychosis: np.ndarray  # 1 yes, 0 no, -1 unknown
    age: np.ndarray  # whole years, -1 unknown
    previous: np.ndarray  # index into profiles.clusters, -1 none (or 00)
    days: np.ndarray  # assessment date as days since 1970-01-01, MISSING_DATE when absent
    errors: dict[int, AssessmentError]  # row -> every problem with the row, from the scalar validator

    @property
    def bad(self) -> np.ndarray:
        mask = np.zeros(self.ratings.shape[0], dtype=bool)
        mask[list(self.errors)] = True
        return mask


def parse_block(batch: pa.RecordBatch, profiles: ProfileSet) -> ParsedBlock:
    """Vectorised parsing; rows it flags are re-checked by ``Assessment.from_mapping``, the authority."""
    n = batch.num_rows
    col = {name: batch.column(name) for name in batch.schema.names}
    x = np.stack([dictionary_codes(col[c], _rating) for c in ITEM_CODES], axis=1)
    bad = (x < 0).any(axis=1)
    bad |= dictionary_codes(col["item_08_type"], _problem_type, missing=0) < 0
    psy = dictionary_codes(col["psychosis_history"], _yes_no) if "psychosis_history" in col else np.full(n, MISSING)
    age = dictionary_codes(col["age"], _age) if "age" in col else np.full(n, MISSING)
    prev = dictionary_codes(col["previous_cluster"], _previous(profiles)) if "previous_cluster" in col else np.full(n, MISSING)
    days = dictionary_codes(col["assessed_on"], _date_days, missing=MISSING_DATE) if "assessed_on" in col else np.full(n, MISSING_DATE)
    bad |= (psy == INVALID) | (age == INVALID) | (prev == INVALID) | (days == INVALID_DATE)
    bad |= suspect_ids(col["assessment_id"])
    errors: dict[int, AssessmentError] = {}
    for r in np.nonzero(bad)[0]:
        row = {name: batch.column(name)[r].as_py() for name in batch.schema.names}
        try:
            valid = Assessment.from_mapping(row)
        except AssessmentError as err:
            errors[int(r)] = err
            continue
        # the vectorised checks were stricter than the validator: take the validator's values
        ctx = valid.context
        x[r] = valid.ratings
        psy[r] = -1 if ctx.psychosis_history is None else int(ctx.psychosis_history)
        age[r] = -1 if ctx.age is None else ctx.age
        prev[r] = profiles.clusters.index(ctx.previous_cluster) if ctx.previous_cluster in profiles.clusters else -1
        days[r] = MISSING_DATE if ctx.assessed_on is None else (ctx.assessed_on - date(1970, 1, 1)).days
    return ParsedBlock(
        ratings=np.where(x < 0, NOT_KNOWN, x),
        psychosis=np.where(psy < 0, -1, psy),
        age=np.where(age < 0, -1, age),
        previous=np.where(prev < 0, -1, prev),
        days=np.where(days == INVALID_DATE, MISSING_DATE, days),
        errors=errors,
    )


def cluster_batch(batch: pa.RecordBatch, profiles: ProfileSet, lines: int | np.ndarray) -> tuple[pa.Table, Summary]:
    """Cluster one block of rows; ``lines`` holds each row's line in the file (or the first row's line)."""
    n = batch.num_rows
    if isinstance(lines, (int, np.integer)):
        lines = np.arange(lines, lines + n)
    p = parse_block(batch, profiles)
    days, bad = p.days, p.bad
    aid = batch.column("assessment_id")

    has_date = days > MISSING_DATE
    assessed = np.where(has_date, days, 0).astype("datetime64[D]")
    vf = np.datetime64(profiles.spec.valid_from, "D")
    in_force = ~has_date | (assessed >= vf)
    if profiles.spec.valid_to is not None:
        in_force &= ~has_date | (assessed < np.datetime64(profiles.spec.valid_to, "D"))

    s = score(p.ratings, profiles, psychosis_history=p.psychosis, age=p.age, previous=p.previous, in_force=in_force)

    code_idx = np.array([CODE_INDEX[c] for c in STATUS])[s.status]
    clustered = (s.status == S_OK) | (s.status == S_VARIANCE)
    clusters = np.array(profiles.clusters + ("00",))
    chosen = np.where(s.status == S_OK, s.top[:, 0], len(profiles.clusters))  # "00" slot for variance

    messages = np.full(n, "", dtype=object)
    hidden_ids = []  # an id with control characters or 1 MB of text is not echoed: the line number links the row
    for r, err in p.errors.items():
        code_idx[r] = CODE_INDEX[err.code]
        messages[r] = f"line {lines[r]}: {err}"
        if any(e.code is ResultCode.INVALID_ASSESSMENT_ID for e in err.errors):
            hidden_ids.append(r)
    clustered &= ~bad
    aid = excel_safe_ids(aid, hidden_ids)

    sc_values = ["A", "B", "C"]
    sc_of = np.array([sc_values.index(v) if v in sc_values else -1 for v in profiles.super_classes] + [-1])
    sc_idx = sc_of[chosen]
    fit_idx = np.rint(s.top_fit * 1000).astype(np.int64)

    red_text = _red_rule_text(s, clustered, profiles)
    _explain_rows(messages, s, ~bad, profiles)

    due = review_due_indexed(assessed, chosen, list(clusters))
    due_ok = clustered & has_date & ~np.isnat(due)

    table = pa.table(
        {
            "assessment_id": aid,
            "super_class": _dict_strings(sc_values, np.maximum(sc_idx, 0), clustered & (sc_idx >= 0)),
            "cluster": _dict_strings(list(clusters), chosen, clustered),
            "fit": pa.DictionaryArray.from_arrays(pa.array(fit_idx[:, 0].astype(np.int32), mask=~clustered), FIT_TEXT),
            "cluster_2": _dict_strings(list(profiles.clusters), s.top[:, 1], clustered),
            "fit_2": pa.DictionaryArray.from_arrays(pa.array(fit_idx[:, 1].astype(np.int32), mask=~clustered), FIT_TEXT),
            "cluster_3": _dict_strings(list(profiles.clusters), s.top[:, 2], clustered),
            "fit_3": pa.DictionaryArray.from_arrays(pa.array(fit_idx[:, 2].astype(np.int32), mask=~clustered), FIT_TEXT),
            "red_rules": pa.array(red_text, type=pa.string(), mask=red_text == ""),
            "review_due": pa.array(due, type=pa.date32(), mask=~due_ok),
            "result_code": pa.DictionaryArray.from_arrays(pa.array(code_idx.astype(np.int32)), CODE_TEXT),
            "message": pa.array(messages, type=pa.string(), mask=messages == ""),
        }
    )
    summary = Summary(rows=n)
    codes, counts = np.unique(code_idx, return_counts=True)
    summary.codes.update({CODE_TEXT[int(c)].as_py(): int(k) for c, k in zip(codes, counts)})
    cl, cc = np.unique(chosen[clustered], return_counts=True)
    summary.clusters.update({str(clusters[int(c)]): int(k) for c, k in zip(cl, cc)})
    summary.red_rule_rows = int((red_text != "").sum())
    return table, summary


RISKY_START = r"^[=+\-@\t\r]"
NUMBER = r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$"


def excel_safe_ids(aid: pa.Array, hidden: list[int] = ()) -> pa.Array:
    """The id column as written: formula-like ids get a leading apostrophe (as ``io.safe.excel_safe``).

    Vectorised, and only rows starting with a risky character are touched, so
    a clean block costs one anchored regex scan.
    """
    if isinstance(aid, pa.ChunkedArray):
        aid = aid.combine_chunks()
    if hidden:
        keep = np.ones(len(aid), dtype=bool)
        keep[hidden] = False
        aid = pc.if_else(pa.array(keep), aid, pa.scalar(None, aid.type))
    risky = pc.match_substring_regex(aid, RISKY_START)
    if not pc.any(risky).as_py():
        return aid
    risky = pc.and_(risky, pc.invert(pc.match_substring_regex(aid, NUMBER)))
    return pc.if_else(risky, pc.binary_join_element_wise(pa.scalar("'"), aid, ""), aid)


def _red_rule_text(s, rows: np.ndarray, profiles: ProfileSet) -> np.ndarray:
    """'cluster:item' list of red rules broken by the listed candidates, decoded once per distinct pattern."""
    text = np.full(rows.shape[0], "", dtype=object)
    hit = np.nonzero(rows & (s.top_bits != 0).any(axis=1))[0]
    if hit.size == 0:
        return text
    pattern = np.concatenate([s.top[hit].astype(np.int64), s.top_bits[hit].astype(np.int64)], axis=1)
    uniq, inverse = np.unique(pattern, axis=0, return_inverse=True)
    no_ratings = (0,) * len(ITEM_CODES)  # the column names rules only; reasons live in the explanation
    words = np.array(
        [
            ";".join(
                str(rule)
                for t in range(TOP)
                for rule in red_rule_list(profiles, profiles.clusters[u[t]], int(u[TOP + t]), no_ratings)
            )
            for u in uniq
        ],
        dtype=object,
    )
    text[hit] = words[inverse.ravel()]
    return text


def _explain_rows(messages: np.ndarray, s, rows: np.ndarray, profiles: ProfileSet) -> None:
    """Short reasons for rows that are not a plain OK suggestion."""
    st = profiles.settings
    for r in np.nonzero(rows & (s.status != S_OK))[0]:
        status = int(s.status[r])
        if status == S_VARIANCE:
            top_cluster = profiles.clusters[s.top[r, 0]]
            if s.top_bits[r, 0]:
                messages[r] = f"every candidate breaks a red rule (best {top_cluster})"
            else:
                messages[r] = f"best fit {top_cluster} {s.top_fit[r, 0]:.3f} is below the variance threshold {st.variance_threshold}"
        elif STATUS[status] is ResultCode.INSUFFICIENT_RATINGS:
            messages[r] = f"{int(s.not_known[r])} items not known (9); at most {st.max_not_known} allowed"
        elif STATUS[status] is ResultCode.AGE_OUT_OF_SCOPE:
            messages[r] = f"age below the minimum {st.min_age} for this profile set"
        elif STATUS[status] is ResultCode.NO_PROFILE_IN_FORCE:
            messages[r] = f"profile set {profiles.ref} is not in force on the assessment date"
    for r in np.nonzero(rows & (s.status == S_OK) & s.stability)[0]:
        messages[r] = "previous cluster kept: within the stability margin of the best fit"


def iter_batches(
    layout: Layout, on_ragged: Callable[[pacsv.InvalidRow], None], block_size: int = 8 << 20
) -> Iterator[tuple[pa.RecordBatch, int]]:
    """Yield (batch, bytes_read_so_far) of the clustering columns; ragged rows go to ``on_ragged``."""
    present_optional = [c for c in OPTIONAL if c in layout.present]
    types = {c: DICT for c in (*ITEM_CODES, "item_08_type", *present_optional)}
    types["assessment_id"] = pa.string()
    try:
        reader, stream = open_reader(layout, types, on_ragged, block_size)  # reads the first block
        for batch in reader:
            yield batch, stream.tell()
    except pa.ArrowInvalid as exc:
        if is_utf8_failure(exc) and layout.encoding != "cp1252":
            raise NotUtf8() from None
        raise


def prefetch(items: Iterator, depth: int = 2) -> Iterator:
    """Produce items on a background thread so reading the next block overlaps work on this one.

    pyarrow parses CSV without holding the GIL, so on two cores the read of
    block n+1 runs while block n is scored and written.
    """
    import queue
    import threading

    q: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def run() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                q.put(item)
            q.put(done)
        except BaseException as exc:  # hand the failure to the consumer
            q.put(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    try:
        while (item := q.get()) is not done:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                q.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


OUTPUT_SCHEMA = pa.schema(
    [
        ("assessment_id", pa.string()),
        ("super_class", DICT), ("cluster", DICT), ("fit", DICT),
        ("cluster_2", DICT), ("fit_2", DICT), ("cluster_3", DICT), ("fit_3", DICT),
        ("red_rules", pa.string()), ("review_due", pa.date32()), ("result_code", DICT), ("message", pa.string()),
    ]
)  # fmt: skip


class RaggedRows:
    """Ragged rows reported by the reader, placed back among the good rows by row number.

    pyarrow drops a ragged row from its batch and reports its number; the
    output must still hold one row per input row, in order, so each block's
    good rows are split at the ragged rows' positions.
    """

    def __init__(self, layout: Layout) -> None:
        self.id_at = layout.names.index("assessment_id")
        self.expected = len(layout.names)
        self.pending: list[pacsv.InvalidRow] = []  # appended by the reader thread, consumed in order

    def __call__(self, row: pacsv.InvalidRow) -> None:
        self.pending.append(row)

    def place(self, line: int, n: int) -> tuple[np.ndarray, list[tuple[int, pacsv.InvalidRow]]]:
        """Lines of the block's ``n`` good rows (the first at or after ``line``) and the ragged rows before each."""
        inserts: list[tuple[int, pacsv.InvalidRow]] = []
        good = 0
        while self.pending:
            row = self.pending[0]
            before = max(0, (row.number or 0) - line - good - len(inserts))
            if good + before > n:
                break
            good += before
            inserts.append((good, self.pending.pop(0)))
        lines = line + np.arange(n)
        for k, _ in inserts:
            lines[k:] += 1
        return lines, inserts

    def table(self, rows: list[pacsv.InvalidRow], line: int) -> pa.Table:
        ids, messages = [], []
        for i, row in enumerate(rows):
            number = row.number or line + i
            ids.append(self._id(row.text))
            messages.append(f"line {number}: {row.actual_columns} fields where the header has {row.expected_columns}; the row was not read")
        n = len(rows)
        nulls = {f.name: pa.nulls(n, f.type) for f in OUTPUT_SCHEMA}
        code = pa.DictionaryArray.from_arrays(pa.array([CODE_INDEX[ResultCode.RAGGED_ROW]] * n, pa.int32()), CODE_TEXT)
        nulls.update(assessment_id=excel_safe_ids(pa.array(ids, pa.string())), result_code=code, message=pa.array(messages, pa.string()))
        return pa.table(nulls, schema=OUTPUT_SCHEMA)

    def _id(self, text: str) -> str | None:
        """The row's id when it can still be read where the header puts it and looks like an id."""
        try:
            fields = next(csv.reader([text]))
        except (csv.Error, StopIteration):
            return None
        value = fields[self.id_at].strip() if len(fields) > self.id_at else ""
        ok = value and len(value) <= MAX_ID_LENGTH and value.isprintable()
        return value if ok else None


def ragged_summary(n: int) -> Summary:
    return Summary(rows=n, codes=Counter({ResultCode.RAGGED_ROW.value: n}))


def cluster_file(
    in_path: str | Path,
    out_path: str | Path,
    profiles: ProfileSet,
    progress: Callable[[int, int], None] | None = None,
) -> Summary:
    """Cluster every row of ``in_path`` into ``out_path``: one output row per input row, in order.

    The output is written to a temporary file and renamed on success (parent
    folders are created), so a failure never leaves a half-written output.
    A file that turns out not to be UTF-8 is read again as cp1252, with a warning.
    """
    src = Path(in_path)
    layout = read_layout(src, REQUIRED, OPTIONAL)
    try:
        return _cluster_layout(layout, Path(out_path), profiles, progress)
    except NotUtf8:
        return _cluster_layout(layout.as_cp1252(), Path(out_path), profiles, progress)


def _cluster_layout(layout: Layout, dst: Path, profiles: ProfileSet, progress: Callable[[int, int], None] | None) -> Summary:
    total = Summary(warnings=list(layout.warnings))
    ragged = RaggedRows(layout)
    line = 2  # first data row is line 2 of the file
    try:
        with atomic_path(dst) as tmp, pa.OSFile(str(tmp), "wb") as sink:
            writer = pacsv.CSVWriter(sink, OUTPUT_SCHEMA, write_options=pacsv.WriteOptions(quoting_style="needed"))
            for batch, pos in prefetch(iter_batches(layout, ragged)):
                lines, inserts = ragged.place(line, batch.num_rows)
                table, s = cluster_batch(batch, profiles, lines)
                start = 0
                for k, row in inserts:  # rarely any: a clean block is written in one piece
                    writer.write_table(table.slice(start, k - start))
                    writer.write_table(ragged.table([row], line))
                    total.add(ragged_summary(1))
                    start = k
                writer.write_table(table.slice(start))
                line += batch.num_rows + len(inserts)
                total.add(s)
                if progress:
                    progress(pos, s.rows)
            if ragged.pending:  # ragged rows after the last good row
                writer.write_table(ragged.table(ragged.pending, line))
                total.add(ragged_summary(len(ragged.pending)))
            writer.close()
    except NotUtf8:
        raise
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        raise UnreadableFile(arrow_message(layout.path, exc)) from None
    return total
