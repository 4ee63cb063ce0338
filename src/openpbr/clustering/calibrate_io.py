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
from openpbr.clustering.batch import (
    DICT,
    INVALID,
    MISSING,
    OPTIONAL,
    REQUIRED,
    UnreadableFile,
    dictionary_codes,
    parse_block,
    read_header,
)
from openpbr.clustering.profiles import ProfileSet
from openpbr.clustering.ratings import ITEM_CODES, NOT_KNOWN, SCORED_CLUSTERS

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

    def subset(self, rows: np.ndarray) -> AllocationHistory:
        return AllocationHistory(self.ratings[rows], self.cluster[rows], self.psychosis_history[rows], self.line[rows], len(rows))


def _label(text: str) -> int:
    if not (text.isdigit() and len(text) <= 2):
        return INVALID
    code = f"{int(text):02d}"
    if code == "00":
        return VARIANCE_LABEL
    if code == "09":
        return UNUSED_LABEL
    return SCORED_CLUSTERS.index(code) if code in SCORED_CLUSTERS else INVALID


LABEL_PROBLEMS = {
    MISSING: ("MISSING_CLUSTER", "cluster: blank (the clinician's final cluster is needed)"),
    INVALID: ("INVALID_CLUSTER", "cluster: {text!r} is not a cluster code 00-21"),
    VARIANCE_LABEL: ("VARIANCE_CLUSTER", "cluster: 00 (variance) has no profile to learn"),
    UNUSED_LABEL: ("UNUSED_CLUSTER", "cluster: 09 is not in use"),
}


def read_history(path: str | Path, profiles: ProfileSet, block_size: int = 8 << 20) -> AllocationHistory:
    """Read every row; keep the valid ones in scope of ``profiles`` (age, 9s), list the rest with reasons."""
    src = Path(path)
    if not src.is_file():
        raise UnreadableFile(f"{src}: no such file")
    header = read_header(src)
    missing = [c for c in (*REQUIRED, LABEL) if c not in header]
    if missing:
        raise UnreadableFile(f"{src}: missing required column(s): {', '.join(missing)}")
    present = [c for c in OPTIONAL if c in header]
    types = {c: DICT for c in (*ITEM_CODES, "item_08_type", *present, LABEL)}
    types["assessment_id"] = pa.string()
    try:
        reader = pacsv.open_csv(
            str(src),
            read_options=pacsv.ReadOptions(block_size=block_size, use_threads=True),
            convert_options=pacsv.ConvertOptions(
                column_types=types,
                include_columns=[*REQUIRED, *present, LABEL],
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
        parts, skipped, line = [], [], 2  # first data row is line 2
        for batch in reader:
            parts.append(_read_block(batch, profiles, line, skipped))
            line += batch.num_rows
    except pa.ArrowInvalid as exc:
        raise UnreadableFile(f"{src}: {exc}") from exc
    if not parts:
        parts = [(np.zeros((0, len(ITEM_CODES)), np.int8), np.zeros(0, np.int16), np.zeros(0, np.int8), np.zeros(0, np.int64))]
    x, y, psy, lines = (np.concatenate(a) for a in zip(*parts))
    return AllocationHistory(x, y, psy, lines, rows_read=line - 2, skipped=skipped)


def _read_block(batch: pa.RecordBatch, profiles: ProfileSet, line0: int, all_skipped: list[SkippedRow]):
    n = batch.num_rows
    skipped: list[SkippedRow] = []
    col = {name: batch.column(name) for name in batch.schema.names}
    p = parse_block(batch, profiles)  # the same parsing and validation as `openpbr cluster`
    x, psy, age = p.ratings, p.psychosis, p.age
    aid = col["assessment_id"].to_numpy(zero_copy_only=False)
    keep = np.ones(n, dtype=bool)
    for r, err in p.errors.items():
        skipped.append(SkippedRow(int(line0 + r), str(aid[r] or ""), err.code.value, str(err)))
        keep[r] = False
    y = dictionary_codes(col[LABEL], _label, missing=MISSING)

    for r in np.nonzero(keep & (y < 0))[0]:
        code, text = LABEL_PROBLEMS[int(y[r])]
        raw = col[LABEL][r].as_py()
        skipped.append(SkippedRow(int(line0 + r), str(aid[r] or ""), code, text.format(text=raw)))
        keep[r] = False
    st = profiles.settings
    unknown = (x == NOT_KNOWN).sum(axis=1)
    for r in np.nonzero(keep & (unknown > st.max_not_known))[0]:
        skipped.append(SkippedRow(int(line0 + r), str(aid[r]), "INSUFFICIENT_RATINGS", f"{int(unknown[r])} items not known (9); at most {st.max_not_known} allowed"))
        keep[r] = False
    if st.min_age is not None:
        for r in np.nonzero(keep & (age >= 0) & (age < st.min_age))[0]:
            skipped.append(SkippedRow(int(line0 + r), str(aid[r]), "AGE_OUT_OF_SCOPE", f"age {int(age[r])} below the minimum {st.min_age}"))
            keep[r] = False
    all_skipped.extend(sorted(skipped, key=lambda s: s.line))
    rows = np.nonzero(keep)[0]
    return x[rows].astype(np.int8), y[rows].astype(np.int16), np.where(psy[rows] < 0, -1, psy[rows]).astype(np.int8), (line0 + rows).astype(np.int64)
