"""Local calibration: learn a cluster profile set from a trust's confirmed allocations.

The clusters were derived empirically in the first place, so a trust's own
history of clinician-confirmed allocations (ratings + final cluster) is
evidence for its profiles. ``calibrate`` turns such a history into a
profile-set file the engine loads unchanged:

- per cluster/item: learned ``scores`` (support of each rating, max 1),
  readable ``expected``/``possible`` bands derived from them, a ``red``
  range where it is informative, and item ``weights``;
- context rules and settings from a base profile set (default: the shipped
  one), with ``variance_threshold`` tuned so a small share of history
  falls to 00;
- version = date + content hash of the history; ``calibration`` metadata:
  rows used, rows skipped with reasons, method, smoothing, accuracy.

Methods are in :mod:`calibrate_learn`; agreement figures in :mod:`calibrate_report`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

import numpy as np

from openpbr.clustering import calibrate_learn as learn
from openpbr.clustering.calibrate_io import SKIP_EXAMPLES, AllocationHistory
from openpbr.clustering.calibrate_report import VARIANCE, Agreement
from openpbr.clustering.engine import Scores, score
from openpbr.clustering.profiles import (
    ClusterProfile,
    ItemProfile,
    ProfileSet,
    dump_profile_set,
    format_ratings,
    load_profiles,
    parse_profile_set,
)
from openpbr.clustering.ratings import ITEM_CODES, SCORED_CLUSTERS

METHODS = ("discriminative", "frequency")


class NothingToLearn(ValueError):
    """The history has no usable rows."""


@dataclass(frozen=True)
class CalibrationOptions:
    method: str = "discriminative"
    profile_set: str = "local.calibrated"
    as_of: date | None = None  # version date; default today
    valid_from: date | None = None  # default: the base profile set's valid_from
    smoothing: float = 5.0  # pseudo-rows pulling each cluster/item towards the item's pooled distribution
    label_smoothing: float = 0.1  # target mass moved to the other clusters of the same super class
    prior_strength: float = 0.1  # L2 precision per parameter towards the frequency profile and weight 1 (divided by rows)
    max_training_rows: int = 25_000  # discriminative step only; a larger history is subsampled per cluster
    min_cluster_rows: int = 30  # fewer rows than this: keep the base profile for that cluster
    red_coverage: float = 0.975  # red range = narrowest contiguous range holding this share of the cluster's known ratings
    red_min_rows: int = 50
    red_min_excluded: float = 0.25  # informative only if it excludes this share of other clusters' known ratings
    red_max_items: int = 2  # most informative red items kept per cluster
    variance_share: float = 0.02  # target share of history that falls to 00
    expected_cut: float = 0.5  # score >= this: expected band
    possible_cut: float = 0.15  # score >= this (and below expected_cut): possible band
    holdout: float = 0.2  # share held out to compare methods (0: none)
    seed: int = 0

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class Learned:
    scores: np.ndarray  # [K, I, 5]
    weights: np.ndarray  # [K, I]
    info: dict[str, Any] = field(default_factory=dict)


@dataclass
class Calibration:
    text: str  # the profile-set YAML
    profiles: ProfileSet
    agreement: Agreement  # in-sample, with the written profile set
    metadata: dict[str, Any]


def learn_profiles(history: AllocationHistory, base: ProfileSet, options: CalibrationOptions, method: str | None = None) -> Learned:
    method = method or options.method
    k = len(SCORED_CLUSTERS)
    counts = learn.rating_counts(history.ratings, history.cluster, k)
    start = learn.frequency_scores(counts, options.smoothing)
    if method == "frequency":
        return Learned(start, np.ones(start.shape[:2]), {"method": "frequency"})
    rows = _training_rows(history.cluster, options.max_training_rows, options.seed)
    n = len(rows)
    fitted = learn.learn_profile(
        history.ratings[rows],
        history.cluster[rows].astype(np.int64),
        start,
        np.array(base.super_classes),
        l2_weights=options.prior_strength / n,
        l2_scores=options.prior_strength / n,
        label_smoothing=options.label_smoothing,
    )
    info = {"method": "discriminative", "training_rows": n, "temperature": round(fitted.temperature, 5), "iterations": fitted.iterations, "converged": fitted.converged}
    return Learned(fitted.scores, fitted.weights, info)


def _training_rows(y: np.ndarray, cap: int, seed: int) -> np.ndarray:
    """All rows, or a per-cluster proportional subsample of ``cap`` rows (the optimiser's cost grows with rows)."""
    n = len(y)
    if n <= cap:
        return np.arange(n)
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        idx = np.nonzero(y == c)[0]
        keep.append(rng.choice(idx, size=max(1, int(round(len(idx) * cap / n))), replace=False))
    return np.sort(np.concatenate(keep))


def red_ranges(counts: np.ndarray, options: CalibrationOptions) -> dict[tuple[int, int], tuple[int, int]]:
    """{(cluster, item): (lo, hi)} for the red ranges worth keeping.

    A range is kept when the cluster has enough rows, the range excludes some
    rating, and it excludes a real share of the other clusters' ratings (a
    rule nobody else breaks tells the clinician nothing); at most
    ``red_max_items`` per cluster, the most excluding first.
    """
    out = {}
    total = counts.sum(axis=0)  # [I, R]
    for k in range(counts.shape[0]):
        if counts[k].sum(axis=1).max() < options.red_min_rows:
            continue
        found = []
        for i in range(counts.shape[1]):
            lo, hi = learn.narrowest_range(counts[k, i], options.red_coverage)
            if hi - lo + 1 == learn.R:
                continue
            others = total[i] - counts[k, i]
            excluded = (others.sum() - others[lo : hi + 1].sum()) / max(others.sum(), 1)
            if excluded >= options.red_min_excluded:
                found.append((-excluded, i, lo, hi))
        for _, i, lo, hi in sorted(found)[: options.red_max_items]:
            out[(k, i)] = (lo, hi)
    return out


def build_spec(learned: Learned, history: AllocationHistory, base: ProfileSet, options: CalibrationOptions, metadata: dict[str, Any]) -> dict[str, Any]:
    counts = learn.rating_counts(history.ratings, history.cluster, len(SCORED_CLUSTERS))
    red = red_ranges(counts, options)
    support = np.bincount(history.cluster, minlength=len(SCORED_CLUSTERS))
    clusters: dict[str, Any] = {}
    from_base = []
    for k, c in enumerate(SCORED_CLUSTERS):
        base_prof = base.spec.clusters[c]
        if support[k] < options.min_cluster_rows:
            from_base.append(c)
            clusters[c] = _base_cluster(base_prof)
            continue
        items = {}
        for i, code in enumerate(ITEM_CODES):
            s = np.round(learned.scores[k, i], 3)
            item: dict[str, Any] = {"expected": format_ratings({r for r in range(5) if s[r] >= options.expected_cut})}
            possible = {r for r in range(5) if options.possible_cut <= s[r] < options.expected_cut}
            if possible:
                item["possible"] = format_ratings(possible)
            if (k, i) in red:
                lo, hi = red[(k, i)]
                item["red"] = format_ratings(set(range(lo, hi + 1)))
            item["scores"] = {r: float(s[r]) for r in range(5)}
            items[code] = item
        w = learned.weights[k] / learned.weights[k].mean()  # mean weight 1: easier to read
        clusters[c] = {
            "rationale": f"{base_prof.rationale} Calibrated on {int(support[k])} local allocations.".strip(),
            "items": items,
            "weights": {code: float(round(w[i], 3)) for i, code in enumerate(ITEM_CODES)},
        }
    metadata["clusters_from_base"] = from_base
    metadata["red_ranges"] = len(red)
    settings = base.spec.settings.model_dump(mode="json")
    return {
        "profile_set": options.profile_set,
        "version": metadata["version"],
        "valid_from": options.valid_from or base.spec.valid_from,
        "valid_to": None,
        "source": f"Calibrated on {history.rows} clinician-confirmed allocations (history sha256 {metadata['history_sha256'][:16]}); base {base.ref}",
        "evidence": "L",
        "method": "calibrated",
        "note": "Local calibration: reflects this trust's clinician decisions, including their disagreements. Not the national grid.",
        "settings": settings,
        "context_rules": [r.model_dump(mode="json") for r in base.spec.context_rules],
        "clusters": clusters,
        "calibration": metadata,
    }


def _base_cluster(prof: ClusterProfile) -> dict[str, Any]:
    """A base profile in file form, for a cluster with too little local history."""

    def item(ip: ItemProfile) -> dict[str, Any]:
        out: dict[str, Any] = {"expected": format_ratings(ip.expected)}
        if ip.possible:
            out["possible"] = format_ratings(ip.possible)
        if ip.red is not None:
            out["red"] = format_ratings(ip.red)
        if ip.scores is not None:
            out["scores"] = dict(sorted(ip.scores.items()))
        return out

    return {
        "rationale": f"{prof.rationale} Kept from the base profile set: too little local history.".strip(),
        "default": item(prof.default),
        "items": {code: item(ip) for code, ip in prof.items.items()},
        "weights": dict(prof.weights),
    }


def suggestions(profiles: ProfileSet, history: AllocationHistory) -> tuple[np.ndarray, np.ndarray, Scores]:
    """(top-ranked cluster, suggested cluster with 00 = VARIANCE, the engine's scores)."""
    s = score(history.ratings, profiles, psychosis_history=history.psychosis_history)
    ok = s.status == 0
    return s.top[:, 0], np.where(ok, s.top[:, 0], VARIANCE), s


def tune_variance_threshold(profiles: ProfileSet, history: AllocationHistory, share: float) -> float:
    """Smallest-step threshold (3 decimals, as the engine compares) leaving about ``share`` of rows at 00."""
    s = score(history.ratings, profiles, psychosis_history=history.psychosis_history)
    n = len(history.cluster)
    top_breach = s.breach[np.arange(n), s.top[:, 0]]
    fits = np.sort(np.round(s.top_fit[~top_breach, 0], 3))
    below = int(round(share * n)) - int(top_breach.sum())  # red-rule breaches already give 00
    if below <= 0 or len(fits) == 0:
        return 0.0
    return float(fits[min(below, len(fits) - 1)])


def _assemble(learned: Learned, history: AllocationHistory, base: ProfileSet, options: CalibrationOptions, metadata: dict[str, Any]) -> ProfileSet:
    spec = build_spec(learned, history, base, options, metadata)
    draft = parse_profile_set(dump_profile_set(spec), origin="<calibration>")
    spec["settings"]["variance_threshold"] = tune_variance_threshold(draft, history, options.variance_share)
    return parse_profile_set(dump_profile_set(spec), origin="<calibration>")


def holdout_comparison(history: AllocationHistory, base: ProfileSet, options: CalibrationOptions) -> dict[str, Any] | None:
    """Both methods (and the base set) learned on one part of the history, judged on the rest."""
    n = history.rows
    held = np.random.default_rng(options.seed).random(n) < options.holdout
    if options.holdout <= 0 or held.sum() < 50 or (~held).sum() < 200:
        return None
    train, test = history.subset(np.nonzero(~held)[0]), history.subset(np.nonzero(held)[0])
    out: dict[str, Any] = {"rows": int(held.sum()), "methods": {}}
    candidates = {m: None for m in METHODS}
    candidates["base"] = base
    for name in candidates:
        profiles = candidates[name] or _assemble(learn_profiles(train, base, options, name), train, base, options, _draft_metadata(train, options, name))
        top, suggested, _ = suggestions(profiles, test)
        a = Agreement.of(test.cluster, suggested)
        out["methods"][name] = {"top1": round(float((top == test.cluster).mean()), 4), "agreement": round(a.agreement, 4), "kappa": round(a.kappa, 4)}
    return out


def _draft_metadata(history: AllocationHistory, options: CalibrationOptions, method: str) -> dict[str, Any]:
    sha = history.content_hash()
    as_of = options.as_of or date.today()
    return {"method": method, "history_sha256": sha, "version": f"{as_of:%Y.%m.%d}-{sha[:10]}"}


def calibrate(history: AllocationHistory, base: ProfileSet | None = None, options: CalibrationOptions = CalibrationOptions()) -> Calibration:
    """Learn a profile set from ``history``; returns the file text, the loaded set and in-sample agreement."""
    if history.rows == 0:
        raise NothingToLearn("no usable rows in the history (see the skipped rows for reasons)")
    base = base or load_profiles()
    metadata = _draft_metadata(history, options, options.method)
    metadata.update(
        {
            "base_profile_set": base.ref,
            "rows_read": history.rows_read,
            "rows_used": history.rows,
            "rows_skipped": len(history.skipped),
            "skipped_by_code": history.skip_counts,
            "skipped_examples": [f"line {s.line}: {s.message}" for s in history.skipped[:SKIP_EXAMPLES]],
            "options": {k: (str(v) if isinstance(v, date) else v) for k, v in asdict(options).items() if k not in ("profile_set", "as_of", "valid_from")},
        }
    )
    hold = holdout_comparison(history, base, options)
    learned = learn_profiles(history, base, options)
    metadata["fit"] = learned.info
    if hold:
        metadata["holdout"] = hold
    profiles = _assemble(learned, history, base, options, metadata)
    _, suggested, _ = suggestions(profiles, history)
    agreement = Agreement.of(history.cluster, suggested)
    metadata["in_sample"] = agreement.summary()
    metadata["variance_threshold"] = profiles.settings.variance_threshold
    spec = build_spec(learned, history, base, options, metadata)
    spec["settings"]["variance_threshold"] = profiles.settings.variance_threshold
    text = _header(options.profile_set, metadata) + dump_profile_set(spec)
    final = parse_profile_set(text, origin="<calibration>")
    return Calibration(text=text, profiles=final, agreement=agreement, metadata=metadata)


def _header(name: str, metadata: dict[str, Any]) -> str:
    return (
        f"# Cluster profile set {name}, learned by `openpbr calibrate` (method {metadata['method']}) from a local\n"
        "# history of clinician-confirmed allocations. Per cluster and item: scores = learned support of each\n"
        "# rating (most supported = 1), expected/possible = readable bands derived from the scores, red = the\n"
        "# red range where informative, weights = how much the item counts. Local evidence (L), not the national grid.\n"
    )
