"""Where the shipped reference datasets live, and a cached loader for them."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from openpbr.errors import InputError
from openpbr.reference.dataset import Dataset, load_dataset


def builtin_path(*parts: str) -> Path:
    """Path of a file shipped under ``openpbr/data``."""
    return Path(str(resources.files("openpbr").joinpath("data", *parts)))


@lru_cache(maxsize=None)
def builtin_dataset(name: str) -> Dataset:
    """Load ``data/reference/<name>.yaml`` once per process; an unknown name lists the known ones."""
    path = builtin_path("reference", f"{name}.yaml")
    if not path.is_file():
        raise InputError(f"no reference dataset named {name!r}; known: {', '.join(builtin_names())}", code="UNKNOWN_DATASET")
    return load_dataset(path)


def builtin_names(folder: str = "reference") -> list[str]:
    """Names of the datasets shipped under ``data/<folder>``."""
    return sorted(p.stem for p in builtin_path(folder).glob("*.yaml"))
