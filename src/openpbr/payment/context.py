"""What every payment rule sees: the settlement window, the run mode, the activity."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from openpbr.payment.calendar import contract_years
from openpbr.payment.contracts import Contract
from openpbr.payment.prices import day


@dataclass(frozen=True)
class Window:
    start_date: date
    end_date: date  # exclusive

    @property
    def start(self) -> int:
        return day(self.start_date)

    @property
    def end(self) -> int:
        return day(self.end_date)

    @property
    def days(self) -> int:
        return self.end - self.start

    def label(self) -> str:
        return f"{self.start_date.isoformat()} to {(self.end_date - timedelta(days=1)).isoformat()}"


@dataclass
class Context:
    contract: Contract
    window: Window
    mode: str  # "live" or "shadow"
    tables: dict[str, pa.Table] = field(default_factory=dict)  # this contract's activity only
    results: dict[str, pa.Table] = field(default_factory=dict)  # indicator id -> result rows
    detail: dict[str, pa.Table] = field(default_factory=dict)  # itemised unit-level output (e.g. spells)

    @property
    def years(self) -> list[tuple[int, int]]:
        return contract_years(self.contract.valid_from, self.contract.valid_to)

    @property
    def active_window(self) -> tuple[int, int]:
        """The settlement window cut to the contract's own dates."""
        a = max(self.window.start, day(self.contract.valid_from))
        b = min(self.window.end, day(self.contract.valid_to))
        return a, max(a, b)

    def table(self, name: str) -> pa.Table | None:
        t = self.tables.get(name)
        return t if t is not None and t.num_rows else None


def weights_bp(groups: np.ndarray, weights: dict[str, str]) -> np.ndarray:
    """Need-group weights as integer ten-thousandths (1.25 -> 12500); groups not listed weigh 1."""
    from decimal import Decimal

    table = {g: int(Decimal(w) * 10000) for g, w in weights.items()}
    uniq, inv = np.unique(groups.astype(str), return_inverse=True)
    return np.array([table.get(u, 10000) for u in uniq], dtype=np.int64)[inv] if len(uniq) else np.zeros(0, np.int64)
