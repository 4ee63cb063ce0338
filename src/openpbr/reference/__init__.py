"""Reference data: effective-dated, versioned, with provenance on every value."""

from openpbr.reference.dataset import Dataset, Entry, NotInForce, load_dataset, parse_dataset
from openpbr.reference.provenance import Evidence, Provenance
from openpbr.reference.registry import builtin_dataset, builtin_path

__all__ = [
    "Dataset",
    "Entry",
    "Evidence",
    "NotInForce",
    "Provenance",
    "builtin_dataset",
    "builtin_path",
    "load_dataset",
    "parse_dataset",
]
