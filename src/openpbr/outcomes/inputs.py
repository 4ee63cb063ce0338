"""Column-oriented inputs to outcome and indicator computation.

Four pyarrow tables, one row per thing, with these columns (extra columns are
ignored; optional columns may be absent):

episodes (one row per referral / episode of care)
    episode_id int64, person_id int64, provider str, team str, commissioner str,
    referred_on date32, discharged_on date32 (null = open),
    accepted bool (optional, default true: false = turned away at referral)

cluster_periods (one row per cluster allocation)
    period_id int64, episode_id int64, cluster str "00".."21",
    start date32, end date32 (null = open),
    assessment_id int64 (optional: the MHCT rating behind the allocation),
    red_rule_breach bool (optional, null = not checked), fit float64 (optional)

assessments (one row per MHCT rating set)
    assessment_id int64, episode_id int64, assessed_on date32,
    item_01 .. item_13, hist_a .. hist_e int8 (0-4, 9 = not known),
    swemwbs, reqol float64 (optional patient-reported measures, null = not done)

accommodation (one row per accommodation status record)
    person_id int64, recorded_on date32, settled bool
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from openpbr import errors
from openpbr.clustering.ratings import ITEM_CODES

EPISODE_COLUMNS = {
    "episode_id": pa.int64(),
    "person_id": pa.int64(),
    "provider": pa.string(),
    "team": pa.string(),
    "commissioner": pa.string(),
    "referred_on": pa.date32(),
    "discharged_on": pa.date32(),
}
PERIOD_COLUMNS = {
    "period_id": pa.int64(),
    "episode_id": pa.int64(),
    "cluster": pa.string(),
    "start": pa.date32(),
    "end": pa.date32(),
}
ASSESSMENT_COLUMNS = {
    "assessment_id": pa.int64(),
    "episode_id": pa.int64(),
    "assessed_on": pa.date32(),
    **{c: pa.int8() for c in ITEM_CODES},
}
ACCOMMODATION_COLUMNS = {"person_id": pa.int64(), "recorded_on": pa.date32(), "settled": pa.bool_()}
OPTIONAL = {
    "episodes": {"accepted": pa.bool_()},
    "cluster_periods": {"assessment_id": pa.int64(), "red_rule_breach": pa.bool_(), "fit": pa.float64()},
    "assessments": {"swemwbs": pa.float64(), "reqol": pa.float64()},
    "accommodation": {},
}
REQUIRED = {
    "episodes": EPISODE_COLUMNS,
    "cluster_periods": PERIOD_COLUMNS,
    "assessments": ASSESSMENT_COLUMNS,
    "accommodation": ACCOMMODATION_COLUMNS,
}


class InputError(errors.InputError, ValueError):
    """An input table is missing a required column or has the wrong type (a user's error: exit 2, one line)."""


def conform(name: str, table: pa.Table) -> pa.Table:
    """Check and cast one table to the documented schema, keeping optional columns present."""
    cols: dict[str, pa.Array] = {}
    for col, typ in {**REQUIRED[name], **OPTIONAL[name]}.items():
        if col not in table.column_names:
            if col in REQUIRED[name]:
                raise InputError(f"{name}: missing column {col!r}")
            continue
        arr = table.column(col)
        if typ == pa.string():
            arr = pc.cast(arr, pa.string())
        elif arr.type != typ:
            try:
                arr = pc.cast(arr, typ)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
                raise InputError(f"{name}.{col}: cannot read as {typ}: {exc}") from exc
        cols[col] = arr
    if name == "cluster_periods":
        # "4" -> "04": cluster codes are two characters.
        cols["cluster"] = pc.utf8_lpad(cols["cluster"], 2, "0")
    return pa.table(cols)


@dataclass(frozen=True)
class OutcomeInputs:
    """The four tables indicators are computed from, already conformed."""

    episodes: pa.Table
    cluster_periods: pa.Table
    assessments: pa.Table
    accommodation: pa.Table = field(default_factory=lambda: pa.table({k: pa.array([], t) for k, t in ACCOMMODATION_COLUMNS.items()}))
    source: str = "arrays"

    @classmethod
    def build(cls, episodes, cluster_periods, assessments, accommodation=None, source: str = "arrays") -> "OutcomeInputs":
        acc = accommodation if accommodation is not None else pa.table({k: pa.array([], t) for k, t in ACCOMMODATION_COLUMNS.items()})
        return cls(
            episodes=conform("episodes", episodes),
            cluster_periods=conform("cluster_periods", cluster_periods),
            assessments=conform("assessments", assessments),
            accommodation=conform("accommodation", acc),
            source=source,
        )

    def tables(self) -> dict[str, pa.Table]:
        return {
            "episodes": self.episodes,
            "cluster_periods": self.cluster_periods,
            "assessments": self.assessments,
            "accommodation": self.accommodation,
        }

    def fingerprint(self) -> str:
        """Short content hash of the inputs, carried in every trace."""
        h = hashlib.sha256()
        for name, t in self.tables().items():
            h.update(name.encode())
            h.update(str(t.num_rows).encode())
            for col in t.column_names:
                h.update(col.encode())
                arr = t.column(col).combine_chunks()
                for buf in arr.buffers():
                    if buf is not None:
                        h.update(memoryview(buf))
        return h.hexdigest()[:16]

    def write_csv(self, folder: str | Path) -> None:
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        for name, t in self.tables().items():
            pacsv.write_csv(t, out / f"{name}.csv")

    @classmethod
    def read_csv(cls, folder: str | Path) -> "OutcomeInputs":
        """Read ``episodes.csv``, ``cluster_periods.csv``, ``assessments.csv`` and optional ``accommodation.csv``."""
        base = Path(folder)
        opts = pacsv.ConvertOptions(
            column_types={"cluster": pa.string(), "provider": pa.string(), "team": pa.string(), "commissioner": pa.string()},
            strings_can_be_null=False,
        )
        tables = {}
        for name in REQUIRED:
            p = base / f"{name}.csv"
            if not p.exists():
                if name == "accommodation":
                    continue
                raise InputError(f"missing extract {p}")
            tables[name] = pacsv.read_csv(p, convert_options=opts)
        return cls.build(
            tables["episodes"], tables["cluster_periods"], tables["assessments"], tables.get("accommodation"), source=f"csv:{base}"
        )


def days(arr: pa.ChunkedArray | pa.Array, fill: int | None = None) -> np.ndarray:
    """date32 column -> int64 day numbers; nulls become ``fill`` (or a huge sentinel for open ends)."""
    a = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    sentinel = np.iinfo(np.int32).max if fill is None else fill
    return pc.fill_null(pc.cast(a, pa.int32()), sentinel).to_numpy(zero_copy_only=False).astype(np.int64)


def column(table: pa.Table, name: str, fill=None) -> np.ndarray:
    """A column as numpy, nulls filled with ``fill`` when given."""
    a = table.column(name).combine_chunks()
    if fill is not None:
        a = pc.fill_null(a, fill)
    return a.to_numpy(zero_copy_only=False)


OPEN = np.iinfo(np.int32).max  # day number standing for an open end date
