"""Compute governed indicators per unit and month.

Result shape (one row per indicator x unit x month; pyarrow table, CSV-able):

    indicator_id   str    definition key, e.g. "within_review_pct"
    unit_type      str    trust | provider | commissioner | team | cluster | provider_commissioner
    unit           str    the unit's code ("all" for trust; "none" = not clustered;
                          "PROVIDER|COMMISSIONER" for a contract pair)
    period         str    calendar month "YYYY-MM"
    numerator      int64
    denominator    int64
    value          float64  numerator/denominator (proportion) or numerator (count); null if denominator 0
    low_is_good    bool   null when direction is not meaningful (plain counts)
    provisional    bool   true when the definition or any rule behind it is [U]/[D]
    definition_ref str    dataset@version#checksum:indicator_id
    trace          str    JSON: population, expressions, rule refs, input fingerprint

The payment engine reads this shape (see docs/outcomes.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import numpy as np
import pyarrow as pa

from openpbr.clustering.review import review_periods
from openpbr.outcomes.config import Settings, outcome_rules
from openpbr.outcomes.definitions import IndicatorDefinition, evaluate, load_definitions
from openpbr.outcomes.inputs import OutcomeInputs, column
from openpbr.outcomes.keys import month_label
from openpbr.outcomes.populations import CLUSTER_LABELS, NONE_CLUSTER, Population, Populations, build_populations
from openpbr.reference import builtin_dataset

UNIT_TYPES = ("trust", "provider", "commissioner", "team", "cluster", "provider_commissioner", "provider_commissioner_need")
NEED_GROUPS = "payment_need_groups"  # need group of each cluster [D]; the same dataset prices and weights use

RESULT_SCHEMA = pa.schema([
    ("indicator_id", pa.string()), ("unit_type", pa.string()), ("unit", pa.string()), ("period", pa.string()),
    ("numerator", pa.int64()), ("denominator", pa.int64()), ("value", pa.float64()), ("low_is_good", pa.bool_()),
    ("provisional", pa.bool_()), ("definition_ref", pa.string()), ("trace", pa.string()),
])


@dataclass(frozen=True)
class IndicatorRun:
    results: pa.Table
    populations: Populations
    definitions: list[IndicatorDefinition]


def _need_group_of_cluster(on: date) -> tuple[np.ndarray, np.ndarray]:
    """(labels, code per cluster 0..22): the need group of each cluster in force on ``on``; unclustered is standard."""
    table = {e.key: str(e.value) for e in builtin_dataset(NEED_GROUPS).in_force(on)}
    per_cluster = np.array([table.get(f"{c:02d}", "standard") for c in range(NONE_CLUSTER + 1)])
    labels, codes = np.unique(per_cluster, return_inverse=True)
    return labels, codes.astype(np.int64)


def _unit_codes(inputs: OutcomeInputs, on: date) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    out = {"need_group": _need_group_of_cluster(on)}
    for u in ("provider", "commissioner", "team"):
        vals = column(inputs.episodes, u, "").astype(str)
        labels, codes = np.unique(vals, return_inverse=True)
        out[u] = (labels, codes.astype(np.int64))
    # the contract pair, so payment can read results per provider x commissioner
    pair = np.char.add(np.char.add(column(inputs.episodes, "provider", "").astype(str), "|"),
                       column(inputs.episodes, "commissioner", "").astype(str))
    labels, codes = np.unique(pair, return_inverse=True)
    out["provider_commissioner"] = (labels, codes.astype(np.int64))
    return out


def _group(pop: Population, unit_type: str, units) -> tuple[np.ndarray, np.ndarray]:
    if unit_type == "trust":
        return np.array(["all"]), np.zeros(len(pop), np.int64)
    if unit_type == "cluster":
        return CLUSTER_LABELS, pop.cluster.astype(np.int64)
    if unit_type == "provider_commissioner_need":  # for outcome payments weighted by need group
        pairs, per_episode = units["provider_commissioner"]
        needs, per_cluster = units["need_group"]
        labels = np.array([f"{p}|{g}" for p in pairs for g in needs])
        return labels, per_episode[pop.ep_index] * len(needs) + per_cluster[pop.cluster]
    labels, per_episode = units[unit_type]
    return labels, per_episode[pop.ep_index]


def compute_indicators(
    inputs: OutcomeInputs,
    start: date,
    end: date,
    definitions: list[IndicatorDefinition] | None = None,
    rules: Settings | None = None,
    unit_types: tuple[str, ...] = UNIT_TYPES,
) -> IndicatorRun:
    """All indicators for every month from ``start`` to ``end`` (inclusive), per unit type."""
    rules = rules or outcome_rules(end)
    definitions = definitions if definitions is not None else load_definitions(end)
    pops = build_populations(inputs, rules, start, end)
    units = _unit_codes(inputs, end)
    n_months = pops.month_to - pops.month_from + 1
    fingerprint = inputs.fingerprint()
    parts = []
    for d in definitions:
        pop = pops.get(d.population)
        num = evaluate(d.numerator, pop.flags, len(pop))
        den = evaluate(d.denominator, pop.flags, len(pop))
        rule_provisional = bool(rules.provisional_keys()) and d.population == "closed_episodes"
        trace = json.dumps({
            "definition": d.ref, "evidence": d.evidence, "population": d.population,
            "numerator": d.numerator, "denominator": d.denominator, "kind": d.kind,
            "rules": rules.ref if d.population == "closed_episodes" else None,
            "provisional_rules": rules.provisional_keys() if d.population == "closed_episodes" else [],
            "review_periods": review_periods().ref if d.population == "caseload" else None,
            "inputs": {"source": inputs.source, "fingerprint": fingerprint},
        }, sort_keys=True)
        m = pop.month - pops.month_from
        for ut in unit_types:
            labels, code = _group(pop, ut, units)
            key = code * n_months + m
            size = len(labels) * n_months
            rows = np.bincount(key, minlength=size)
            nn = np.bincount(key, weights=num & den if d.kind == "proportion" else num, minlength=size)
            dd = np.bincount(key, weights=den, minlength=size)
            present = np.nonzero(rows)[0]
            nn, dd = nn[present].astype(np.int64), dd[present].astype(np.int64)
            if d.kind == "proportion":
                with np.errstate(invalid="ignore", divide="ignore"):
                    value = np.where(dd > 0, nn / np.maximum(dd, 1), np.nan)
            else:
                value = nn.astype(np.float64)
            k = len(present)
            parts.append(pa.table({
                "indicator_id": pa.array([d.id] * k, pa.string()),
                "unit_type": pa.array([ut] * k, pa.string()),
                "unit": pa.array(labels[present // n_months].astype(str)),
                "period": pa.array(month_label(present % n_months + pops.month_from)),
                "numerator": pa.array(nn), "denominator": pa.array(dd),
                "value": pa.array(value, mask=np.isnan(value)),
                "low_is_good": pa.array([d.low_is_good] * k, pa.bool_()),
                "provisional": pa.array([d.provisional or rule_provisional] * k),
                "definition_ref": pa.array([d.ref] * k, pa.string()),
                "trace": pa.array([trace] * k, pa.string()),
            }, schema=RESULT_SCHEMA))
    results = pa.concat_tables(parts) if parts else RESULT_SCHEMA.empty_table()
    return IndicatorRun(results, pops, definitions)


def as_payment_inputs(results: pa.Table) -> list[dict]:
    """Indicator results as plain dicts (the shape documented for the payment engine)."""
    return results.to_pylist()
