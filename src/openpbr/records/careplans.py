"""Care transition rules and care packages, both held as reference data.

Transition rules (``care_transitions.yaml``) are provisional [U]; care
packages (``care_packages.yaml``) are illustrative [D]. Both are effective-
dated: the entry in force on the activity date applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from openpbr.reference import Dataset, builtin_dataset


def transition_rules() -> Dataset:
    return builtin_dataset("care_transitions")


def care_packages() -> Dataset:
    return builtin_dataset("care_packages")


@dataclass(frozen=True)
class TransitionCheck:
    from_cluster: str | None
    to_cluster: str
    kind: str  # initial, same, step_up, step_down, unexpected
    rule_ref: str
    provisional: bool

    @property
    def needs_reason(self) -> bool:
        return self.kind == "unexpected"


def check_transition(from_cluster: str | None, to_cluster: str, on: date, rules: Dataset | None = None) -> TransitionCheck:
    """Classify a move between clusters against the rules in force on ``on``."""
    ds = rules or transition_rules()
    if from_cluster is None:
        return TransitionCheck(None, to_cluster, "initial", ds.ref, False)
    entry = ds.resolve(from_cluster, on)
    if to_cluster == from_cluster:
        kind = "same"
    elif to_cluster in entry.value.get("step_up", ()):
        kind = "step_up"
    elif to_cluster in entry.value.get("step_down", ()):
        kind = "step_down"
    else:
        kind = "unexpected"
    return TransitionCheck(from_cluster, to_cluster, kind, ds.ref, entry.provenance.provisional)


@dataclass(frozen=True)
class CarePackage:
    cluster: str
    key: str
    name: str
    interventions: tuple[str, ...]
    frequency: str
    staff_hours_per_month: Decimal
    cost_per_cluster_day: Decimal
    outcomes: tuple[str, ...]
    ref: str
    provenance: str
    provisional: bool


def package_for(cluster: str, on: date, packages: Dataset | None = None) -> CarePackage:
    """The care package a cluster implies on a date."""
    ds = packages or care_packages()
    e = ds.resolve(cluster, on)
    v = e.value
    return CarePackage(
        cluster=cluster,
        key=v["package"],
        name=v["name"],
        interventions=tuple(v["interventions"]),
        frequency=v["frequency"],
        staff_hours_per_month=Decimal(str(v["staff_hours_per_month"])),
        cost_per_cluster_day=Decimal(str(v["cost_per_cluster_day"])),
        outcomes=tuple(v["outcomes"]),
        ref=ds.ref,
        provenance=e.provenance.label(),
        provisional=e.provenance.provisional,
    )
