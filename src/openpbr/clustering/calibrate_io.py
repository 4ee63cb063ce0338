"""Reading a trust's allocation history for calibration.

Input: the ``openpbr cluster`` columns plus ``cluster`` (the clinician's
final cluster). The file is read in blocks with pyarrow, with the same
dictionary-encoded parsing as the batch path; rows that fail the vectorised
checks are re-validated by ``Assessment.from_mapping`` so a skipped row's
reason reads exactly as it would for ``openpbr cluster``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

# The batch module's block parser is reused so both commands read and validate a row identically.
from openpbr.clustering.batch import DICT, INVALID, MISSING, OPTIONAL, REQUIRED, RaggedRows, dictionary_codes, parse_block
from openpbr.clustering.csv_layout import Layout, NotUtf8, UnreadableFile, arrow_message, is_utf8_failure, open_reader, read_layout
from openpbr.clustering.profiles import ProfileSet
from openpbr.clustering.ratings import ITEM_CODES, NOT_KNOWN, SCORED_CLUSTERS, ascii_digits, shown

LABEL = "cluster"
VARIANCE_LABEL, UNUSED_LABEL = -10, -11  # distinct from the batch parsers' MISSING and INVALID
SKIP_EXAMPLES = 20  # skipped rows listed in the profile file's metadata; the report lists all


@dataclass(frozen=True)
class SkippedRow:
    line: int
    assessment_id: str
    code: str
    message: str


@dataclass
class AllocationHistory:
    """Usable rows of a history file, as arrays, plus what was skipped and why."""

    ratings: np.ndarray  # [n, 18] int8, 0-4 or 9
    cluster: np.ndarray  # [n] index into SCORED_CLUSTERS: the clinician's final cluster
    psychosis_history: np.ndarray  # [n] int8: 1 yes, 0 no, -1 unknown
    line: np.ndarray  # [n] file line number of each row
    rows_read: int = 0
    skipped: list[SkippedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # file-level, e.g. read as cp1252

    @property
    def rows(self) -> int:
        return len(self.cluster)

    @property
    def skip_counts(self) -> dict[str, int]:
        return dict(sorted(Counter(s.code for s in self.skipped).items()))

    def content_hash(self) -> str:
        """sha256 of the usable rows (ratings, clinician cluster, psychosis history): the history's identity, whatever its CSV layout."""
        h = hashlib.sha256()
        h.update(np.ascontiguousarray(self.ratings, dtype=np.int8).tobytes())
        h.update(np.ascontiguousarray(self.cluster, dtype=np.int16).tobytes())
        h.update(np.ascontiguousarray(self.psychosis_history, dtype=np.int8).tobytes())
        return h.hexdigest()

    def subset(self, rows: np.ndarray) -> "AllocationHistory":
        return AllocationHistory(self.ratings[rows], self.cluster[rows], self.psychosis_history[rows], self.line[rows], len(rows))


def _label(text: str) -> int:
    if not (ascii_digits(text) and len(text) <= 2):
        return INVALID
    code = f"{int(text):02d}"
    if code == "00":
        return VARIANCE_LABEL
    if code == "09":
        return UNUSED_LABEL
    return SCORED_CLUSTERS.index(code) if code in SCORED_CLUSTERS else INVALID


LABEL_PROBLEMS = {
    MISSING: ("MISSING_CLUSTER", "cluster: blank (the clinician's final cluster is needed)"),
    INVALID: ("INVALID_CLUSTER", "cluster: {text} is not a cluster code 00-21"),
    VARIANCE_LABEL: ("VARIANCE_CLUSTER", "cluster: 00 (variance) has no profile to learn"),
    UNUSED_LABEL: ("UNUSED_CLUSTER", "cluster: 09 is not in use"),
}


def read_history(path: str | Path, profiles: ProfileSet, block_size: int = 8 << 20) -> AllocationHistory:
    """Read every row; keep the valid ones in scope of ``profiles`` (age, 9s), list the rest with reasons.

    The file is read as ``openpbr cluster`` reads it (encoding probe, header
    names in any case, ragged rows listed as skipped rather than stopping it).
    """
    layout = read_layout(Path(path), (*REQUIRED, LABEL), OPTIONAL)
    try:
        return _read_history(layout, profiles, block_size)
    except NotUtf8:
        return _read_history(layout.as_cp1252(), profiles, block_size)


def _read_history(layout: Layout, profiles: ProfileSet, block_size: int) -> AllocationHistory:
    present = [c for c in OPTIONAL if c in layout.present]
    types = {c: DICT for c in (*ITEM_CODES, "item_08_type", *present, LABEL)}
    types["assessment_id"] = pa.string()
    ragged = RaggedRows(layout)
    parts, skipped, line = [], [], 2  # first data row is line 2
    try:
        reader, _ = open_reader(layout, types, ragged, block_size)
        for batch in reader:
            lines, inserts = ragged.place(line, batch.num_rows)
            parts.append(_read_block(batch, profiles, lines, skipped))
            skipped.extend(_ragged_skip(ragged, [row for _, row in inserts]))
            line += batch.num_rows + len(inserts)
        skipped.extend(_ragged_skip(ragged, ragged.pending))
        line += len(ragged.pending)
    except pa.ArrowInvalid as exc:
        if is_utf8_failure(exc) and layout.encoding != "cp1252":
            raise NotUtf8() from None
        raise UnreadableFile(arrow_message(layout.path, exc)) from None
    skipped.sort(key=lambda s: s.line)
    if not parts:
        parts = [(np.zeros((0, len(ITEM_CODES)), np.int8), np.zeros(0, np.int16), np.zeros(0, np.int8), np.zeros(0, np.int64))]
    x, y, psy, lines = (np.concatenate(a) for a in zip(*parts))
    return AllocationHistory(x, y, psy, lines, rows_read=line - 2, skipped=skipped, warnings=list(layout.warnings))


def _ragged_skip(ragged: RaggedRows, rows: list) -> list[SkippedRow]:
    out = []
    table = ragged.table(rows, 0) if rows else None
    for i, row in enumerate(rows):
        out.append(SkippedRow(int(row.number or 0), table["assessment_id"][i].as_py() or "", "RAGGED_ROW", table["message"][i].as_py()))
    return out


def _read_block(batch: pa.RecordBatch, profiles: ProfileSet, line0: np.ndarray, all_skipped: list[SkippedRow]):
    n = batch.num_rows
    skipped: list[SkippedRow] = []
    col = {name: batch.column(name) for name in batch.schema.names}
    p = parse_block(batch, profiles)  # the same parsing and validation as `openpbr cluster`
    x, psy, age = p.ratings, p.psychosis, p.age
    aid = col["assessment_id"].to_numpy(zero_copy_only=False)
    keep = np.ones(n, dtype=bool)
    for r, err in p.errors.items():
        skipped.append(SkippedRow(int(line0[r]), str(aid[r] or ""), err.code.value, str(err)))
        keep[r] = False
    y = dictionary_codes(col[LABEL], _label, missing=MISSING)

    for r in np.nonzero(keep & (y < 0))[0]:
        code, text = LABEL_PROBLEMS[int(y[r])]
        raw = col[LABEL][r].as_py()
        skipped.append(SkippedRow(int(line0[r]), str(aid[r] or ""), code, text.format(text=shown(str(raw)))))
        keep[r] = False
    st = profiles.settings
    unknown = (x == NOT_KNOWN).sum(axis=1)
    for r in np.nonzero(keep & (unknown > st.max_not_known))[0]:
        skipped.append(SkippedRow(int(line0[r]), str(aid[r]), "INSUFFICIENT_RATINGS", f"{int(unknown[r])} items not known (9); at most {st.max_not_known} allowed"))
        keep[r] = False
    if st.min_age is not None:
        for r in np.nonzero(keep & (age >= 0) & (age < st.min_age))[0]:
            skipped.append(SkippedRow(int(line0[r]), str(aid[r]), "AGE_OUT_OF_SCOPE", f"age {int(age[r])} below the minimum {st.min_age}"))
            keep[r] = False
    all_skipped.extend(sorted(skipped, key=lambda s: s.line))
    rows = np.nonzero(keep)[0]
    return x[rows].astype(np.int8), y[rows].astype(np.int16), np.where(psy[rows] < 0, -1, psy[rows]).astype(np.int8), line0[rows].astype(np.int64)
