"""Cluster profile sets: for every cluster and MHCT item, how each rating fits.

A profile set is a YAML file a trust can replace with the official grid or
with one learned from its own history (``openpbr calibrate``). Per cluster
and item it gives rating bands:

- ``expected``: typical for the cluster (scores 1.0 by default);
- ``possible``: seen, less typical (0.5);
- any other known rating is ``unexpected`` (0.0);
- optionally ``scores``: a learned support value (0-1) per rating, which
  replaces the band scores (calibrated profile sets use it);
- ``red``: the red range. A known rating outside it breaks the red rule.

plus item ``weights`` (default 1). Fit for a cluster is the weighted share of
the profile the ratings support. A 9 (not known) supports nothing, so it can
never raise a fit, but it also never breaks a red rule.

The file is compiled once into dense NumPy tables so scoring is a handful of
gathers per item, whatever the number of rows.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

from openpbr.clustering.ratings import ITEM_CODES, ITEM_INDEX, KNOWN_RATINGS, N_ITEMS, SCORED_CLUSTERS
from openpbr.reference import Evidence, builtin_dataset, builtin_path

BANDS = ("expected", "possible")
RATING_SLOTS = 10  # index by the rating value itself; slot 9 = not known
TIE_BREAK = 1e-4  # small enough never to reorder clusters whose fits differ at 3 decimals


def parse_ratings(spec: str | int | list[int] | None) -> frozenset[int]:
    """'0-1' -> {0,1}; '0,2-3' -> {0,2,3}; 2 -> {2}; [0, 1] -> {0,1}."""
    if spec is None or spec == "":
        return frozenset()
    if isinstance(spec, int):
        parts: list[str] = [str(spec)]
    elif isinstance(spec, list):
        parts = [str(x) for x in spec]
    else:
        parts = [p.strip() for p in str(spec).split(",") if p.strip()]
    out: set[int] = set()
    for p in parts:
        lo, _, hi = p.partition("-")
        a, b = int(lo), int(hi or lo)
        if not (0 <= a <= b <= 4):
            raise ValueError(f"rating range {p!r} must lie within 0-4")
        out.update(range(a, b + 1))
    return frozenset(out)


def format_ratings(values: frozenset[int] | set[int]) -> str:
    """Inverse of parse_ratings, compact: {0,1,3} -> '0-1,3'."""
    vals = sorted(values)
    runs: list[str] = []
    i = 0
    while i < len(vals):
        j = i
        while j + 1 < len(vals) and vals[j + 1] == vals[j] + 1:
            j += 1
        runs.append(str(vals[i]) if i == j else f"{vals[i]}-{vals[j]}")
        i = j + 1
    return ",".join(runs)


class ItemProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    expected: frozenset[int] = frozenset()
    possible: frozenset[int] = frozenset()
    red: frozenset[int] | None = None
    # Optional learned support per rating (0-1), e.g. from calibration; overrides the band scores.
    scores: dict[int, float] | None = None

    @field_validator("scores")
    @classmethod
    def _scores(cls, v: dict[int, float] | None) -> dict[int, float] | None:
        if v is not None and any(r not in KNOWN_RATINGS or not 0 <= x <= 1 for r, x in v.items()):
            raise ValueError("scores map ratings 0-4 to values between 0 and 1")
        return v

    @field_validator("expected", "possible", mode="before")
    @classmethod
    def _parse(cls, v: Any) -> frozenset[int]:
        return v if isinstance(v, frozenset) else parse_ratings(v)

    @field_validator("red", mode="before")
    @classmethod
    def _parse_red(cls, v: Any) -> frozenset[int] | None:
        return None if v is None else (v if isinstance(v, frozenset) else parse_ratings(v))


CONTEXT_CONDITIONS = ("psychosis_history", "age_below")


class ContextRule(BaseModel):
    """A red rule on context rather than ratings, e.g. first-episode psychosis needs no psychosis history.

    Conditions (all must hold; unknown context never triggers a rule):
    ``psychosis_history: true|false`` and ``age_below: N`` (age in whole years).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    when: dict[str, Any]
    clusters: tuple[str, ...]
    reason: str

    @field_validator("when")
    @classmethod
    def _conditions(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = set(v) - set(CONTEXT_CONDITIONS)
        if unknown or not v:
            raise ValueError(f"context rule conditions must be among {CONTEXT_CONDITIONS}, got {sorted(v)}")
        return v

    def applies(self, psychosis_history: bool | None, age: int | None) -> bool:
        """For one assessment's context."""
        return bool(self.applies_array(np.array([-1 if psychosis_history is None else int(psychosis_history)]), np.array([-1 if age is None else age]))[0])

    def applies_array(self, psychosis_history: np.ndarray | None, age: np.ndarray | None) -> np.ndarray:
        """For many rows: psychosis_history 1/0/-1 (unknown), age in years or -1 (unknown)."""
        n = len(psychosis_history if psychosis_history is not None else age if age is not None else [])
        out = np.ones(n, dtype=bool)
        if "psychosis_history" in self.when:
            out &= False if psychosis_history is None else np.asarray(psychosis_history) == (1 if self.when["psychosis_history"] else 0)
        if "age_below" in self.when:
            out &= False if age is None else (np.asarray(age) >= 0) & (np.asarray(age) < int(self.when["age_below"]))
        return out


class ClusterProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rationale: str = ""
    default: ItemProfile = ItemProfile(expected=frozenset({0, 1}), possible=frozenset({2}))
    items: dict[str, ItemProfile] = Field(default_factory=dict)
    weights: dict[str, float] = Field(default_factory=dict)

    @field_validator("items", "weights")
    @classmethod
    def _known_items(cls, v: dict[str, Any]) -> dict[str, Any]:
        unknown = set(v) - set(ITEM_CODES)
        if unknown:
            raise ValueError(f"unknown item codes {sorted(unknown)}")
        return v

    def item(self, code: str) -> ItemProfile:
        return self.items.get(code, self.default)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    variance_threshold: float = Field(0.6, ge=0, le=1)
    max_not_known: int = Field(6, ge=0, le=N_ITEMS)
    min_age: int | None = 18
    stability_margin: float = Field(0.03, ge=0, le=1)
    band_scores: dict[str, float] = Field(default_factory=lambda: {"expected": 1.0, "possible": 0.5})


class ProfileSetFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    profile_set: str
    version: str
    valid_from: date
    valid_to: date | None = None
    source: str
    evidence: Evidence
    method: str = "descriptions"
    note: str = ""
    settings: Settings = Settings()
    context_rules: tuple[ContextRule, ...] = ()
    clusters: dict[str, ClusterProfile]
    calibration: dict[str, Any] | None = None

    @field_validator("clusters")
    @classmethod
    def _all_clusters(cls, v: dict[str, ClusterProfile]) -> dict[str, ClusterProfile]:
        missing = set(SCORED_CLUSTERS) - set(v)
        extra = set(v) - set(SCORED_CLUSTERS)
        if missing or extra:
            raise ValueError(f"profile set must cover clusters 01-08 and 10-21 exactly (missing {sorted(missing)}, unexpected {sorted(extra)})")
        return v


@dataclass(frozen=True)
class ProfileSet:
    """A loaded, compiled profile set."""

    spec: ProfileSetFile
    checksum: str
    path: str

    @property
    def ref(self) -> str:
        return f"{self.spec.profile_set}@{self.spec.version}#{self.checksum[:12]}"

    @property
    def provisional(self) -> bool:
        return self.spec.evidence.provisional

    @property
    def settings(self) -> Settings:
        return self.spec.settings

    @cached_property
    def clusters(self) -> tuple[str, ...]:
        return SCORED_CLUSTERS

    @cached_property
    def super_classes(self) -> np.ndarray:
        ds = builtin_dataset("clusters")
        on = self.spec.valid_from
        return np.array([ds.resolve(c, on).value["super_class"] for c in self.clusters], dtype=object)

    def in_force(self, on: date) -> bool:
        return self.spec.valid_from <= on and (self.spec.valid_to is None or on < self.spec.valid_to)

    @cached_property
    def band_score(self) -> np.ndarray:
        """[K, I, 10] score of each rating for each cluster/item (slot 9 = 0)."""
        k, s = len(self.clusters), self.spec.settings.band_scores
        out = np.zeros((k, N_ITEMS, RATING_SLOTS), dtype=np.float64)
        for ki, c in enumerate(self.clusters):
            prof = self.spec.clusters[c]
            for code in ITEM_CODES:
                ip = prof.item(code)
                for r in KNOWN_RATINGS:
                    if ip.scores is not None:
                        out[ki, ITEM_INDEX[code], r] = ip.scores.get(r, 0.0)
                    elif r in ip.expected:
                        out[ki, ITEM_INDEX[code], r] = s.get("expected", 1.0)
                    elif r in ip.possible:
                        out[ki, ITEM_INDEX[code], r] = s.get("possible", 0.5)
        return out

    @cached_property
    def weights(self) -> np.ndarray:
        """[K, I] item weights."""
        out = np.ones((len(self.clusters), N_ITEMS), dtype=np.float64)
        for ki, c in enumerate(self.clusters):
            for code, w in self.spec.clusters[c].weights.items():
                out[ki, ITEM_INDEX[code]] = w
        return out

    @cached_property
    def contribution(self) -> np.ndarray:
        """[I, 10, K] fit contribution: fit_k = sum_i contribution[i, r_i, k].

        Normalised by the best achievable score per cluster so a perfect match is 1.0.
        """
        best = (self.band_score.max(axis=2) * self.weights).sum(axis=1)  # [K]
        best = np.where(best > 0, best, 1.0)
        table = self.band_score * self.weights[:, :, None] / best[:, None, None]
        return np.ascontiguousarray(table.transpose(1, 2, 0))

    @cached_property
    def specificity(self) -> np.ndarray:
        """[I, 10, K] tie-break evidence: a rating inside a narrow band says more than one inside a wide band.

        Each contribution is divided by the size of the band the rating falls in.
        Used only to order clusters whose fits are equal.
        """
        size = np.zeros_like(self.band_score)
        for ki, c in enumerate(self.clusters):
            prof = self.spec.clusters[c]
            for code in ITEM_CODES:
                ip = prof.item(code)
                for r in KNOWN_RATINGS:
                    band = ip.expected if r in ip.expected else ip.possible if r in ip.possible else None
                    size[ki, ITEM_INDEX[code], r] = len(band) if band else 1
        spec = np.ascontiguousarray(self.contribution) / np.maximum(size, 1).transpose(1, 2, 0)
        return np.ascontiguousarray(spec)

    @cached_property
    def ranking_table(self) -> np.ndarray:
        """[I, 10, K] fit contribution plus a tiny specificity term that only breaks ties."""
        return np.ascontiguousarray(self.contribution + TIE_BREAK * self.specificity)

    @cached_property
    def red_breach(self) -> np.ndarray:
        """[I, 10, K] True where a known rating falls outside the cluster's red range."""
        out = np.zeros((N_ITEMS, RATING_SLOTS, len(self.clusters)), dtype=bool)
        for ki, c in enumerate(self.clusters):
            prof = self.spec.clusters[c]
            for code in ITEM_CODES:
                red = prof.item(code).red
                if red is None:
                    continue
                for r in KNOWN_RATINGS:
                    out[ITEM_INDEX[code], r, ki] = r not in red
        return out

    @cached_property
    def grouped(self) -> GroupedTables:
        """The scoring tables with items combined in triples: 6 gathers per row instead of 18."""
        return GroupedTables.build(self)

    def red_range(self, cluster: str, item: str) -> frozenset[int] | None:
        return self.spec.clusters[cluster].item(item).red

    def cluster_index(self, cluster: str) -> int:
        return self.clusters.index(cluster)


GROUP = 3  # items combined per lookup; 10**GROUP slots per table


@dataclass(frozen=True)
class GroupedTables:
    """Lookup tables indexed by a combined code of three ratings (each 0-9)."""

    items: tuple[tuple[int, ...], ...]  # item indices per group
    ranking: np.ndarray  # [G, 1000, K] float32: fit + tie-break
    fit: np.ndarray  # [G, 1000, K] float64
    breach: np.ndarray  # [G, 1000] uint32 cluster bitmask
    item_bits: np.ndarray  # [G, 1000, K] uint32: bit i set where item i breaks cluster k's red rule

    @staticmethod
    def build(p: ProfileSet) -> GroupedTables:
        groups = tuple(tuple(range(g, min(g + GROUP, N_ITEMS))) for g in range(0, N_ITEMS, GROUP))
        k = len(p.clusters)
        slots = RATING_SLOTS**GROUP
        ranking = np.zeros((len(groups), slots, k), dtype=np.float64)
        fit = np.zeros((len(groups), slots, k), dtype=np.float64)
        item_bits = np.zeros((len(groups), slots, k), dtype=np.uint32)
        codes = np.arange(slots)
        for gi, items in enumerate(groups):
            for pos, i in enumerate(items):
                digit = (codes // RATING_SLOTS ** (len(items) - 1 - pos)) % RATING_SLOTS
                ranking[gi] += p.ranking_table[i][digit]
                fit[gi] += p.contribution[i][digit]
                item_bits[gi] |= p.red_breach[i][digit].astype(np.uint32) << np.uint32(i)
        cluster_bit = np.uint32(1) << np.arange(k, dtype=np.uint32)
        breach = np.bitwise_or.reduce(np.where(item_bits != 0, cluster_bit, np.uint32(0)), axis=2)
        return GroupedTables(groups, ranking.astype(np.float32), fit, breach, item_bits)

    def codes(self, x: np.ndarray) -> list[np.ndarray]:
        """Combined index per group for ratings x [n, I] (values 0-9)."""
        out = []
        for items in self.items:
            c = np.zeros(x.shape[0], dtype=np.intp)
            for i in items:
                c = c * RATING_SLOTS + x[:, i]
            out.append(c)
        return out


def parse_profile_set(text: str, origin: str = "<string>") -> ProfileSet:
    doc = yaml.safe_load(text)
    try:
        spec = ProfileSetFile.model_validate(doc)
    except Exception as exc:
        raise ValueError(f"{origin}: not a valid profile set: {exc}") from exc
    return ProfileSet(spec=spec, checksum=hashlib.sha256(text.encode("utf-8")).hexdigest(), path=origin)


@lru_cache(maxsize=8)
def _load_cached(path: str, mtime_ns: int) -> ProfileSet:
    return parse_profile_set(Path(path).read_text(encoding="utf-8"), origin=path)


DEFAULT_PROFILES = ("profiles", "provisional-descriptions.yaml")


def load_profiles(path: str | Path | None = None) -> ProfileSet:
    """Load a profile set; ``None`` gives the shipped provisional set."""
    p = Path(path) if path is not None else builtin_path(*DEFAULT_PROFILES)
    return _load_cached(str(p), p.stat().st_mtime_ns)


def dump_profile_set(spec: dict[str, Any]) -> str:
    """YAML text for a profile-set document (used by calibration)."""
    return yaml.safe_dump(spec, sort_keys=False, allow_unicode=False, width=120)
