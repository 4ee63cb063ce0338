"""Outcome rules, thresholds and prices, read from governed reference data.

Each loader takes an optional Dataset so a trust can supply its own file;
every object keeps the dataset ref so results can say which rules made them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from openpbr.reference import Dataset, builtin_dataset, load_dataset


def _ds(name: str, dataset: Dataset | str | None) -> Dataset:
    if dataset is None:
        return builtin_dataset(name)
    if isinstance(dataset, Dataset):
        return dataset
    return load_dataset(dataset)


@dataclass(frozen=True)
class Setting:
    """One resolved entry: its value plus where it came from."""

    key: str
    value: Any
    source: str
    provisional: bool


class Settings:
    """Resolved view of one dataset on one date."""

    def __init__(self, ds: Dataset, on: date):
        self.dataset = ds
        self.on = on
        self._items = {}
        for e in ds.in_force(on):
            self._items[e.key] = Setting(e.key, e.value, e.provenance.label(), e.provenance.provisional)

    @property
    def ref(self) -> str:
        return self.dataset.ref

    def __getitem__(self, key: str) -> Any:
        return self.setting(key).value

    def get(self, key: str, default=None) -> Any:
        s = self._items.get(key)
        return default if s is None else s.value

    def setting(self, key: str) -> Setting:
        try:
            return self._items[key]
        except KeyError:
            from openpbr.errors import InputError

            # a date before (or after) the governed rules: a named answer, not a crash
            raise InputError(f"{self.dataset.dataset}: no {key!r} in force on {self.on.isoformat()}; "
                             "choose dates the reference data covers", code="NOT_IN_FORCE") from None

    def keys(self) -> list[str]:
        return sorted(self._items)

    def provisional_keys(self) -> list[str]:
        return [k for k, s in self._items.items() if s.provisional]


def outcome_rules(on: date | None = None, dataset: Dataset | str | None = None) -> Settings:
    return Settings(_ds("outcomes_rules", dataset), on or date.today())


def gaming_thresholds(on: date | None = None, dataset: Dataset | str | None = None, overrides: dict | None = None) -> Settings:
    s = Settings(_ds("outcomes_gaming", dataset), on or date.today())
    for key, patch in (overrides or {}).items():  # command-line or test overrides, recorded in the trace
        cur = s.setting(key)
        s._items[key] = Setting(key, {**cur.value, **patch}, cur.source + " (overridden)", True)
    return s


def spc_rules(on: date | None = None, dataset: Dataset | str | None = None) -> Settings:
    return Settings(_ds("outcomes_spc", dataset), on or date.today())


def cluster_prices(on: date | None = None, dataset: Dataset | str | None = None) -> Settings:
    """Illustrative [D] price per cluster period, used to rank clusters by price."""
    return Settings(_ds("outcomes_prices", dataset), on or date.today())
