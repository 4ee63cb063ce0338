"""Where the shipped reference datasets live, and a cached loader for them."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from openpbr.reference.dataset import Dataset, load_dataset


def builtin_path(*parts: str) -> Path:
    """Path of a file shipped under ``openpbr/data``."""
    return Path(str(resources.files("openpbr").joinpath("data", *parts)))


@lru_cache(maxsize=None)
def builtin_dataset(name: str) -> Dataset:
    """Load ``data/reference/<name>.yaml`` once per process."""
    return load_dataset(builtin_path("reference", f"{name}.yaml"))
