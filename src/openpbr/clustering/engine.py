"""Vectorised cluster scoring: the one implementation behind every allocation.

Steps for each assessment (all rows at once):

1. fit of every scored cluster: sum over items of the profile's
   contribution table at the item's rating (9 contributes nothing); equal
   fits are ordered by profile specificity;
2. red-rule breaches: OR over items of a per-(item, rating) cluster bitmask,
   plus context rules (psychosis history, age);
3. ranking: clusters without a breach first, then by fit; the previous
   cluster keeps its place when within ``stability_margin`` of the best;
4. the top candidate is suggested if its fit reaches ``variance_threshold``
   and it breaks no red rule, otherwise 00 (variance);
5. rows with too many 9s, an out-of-scope age or a date outside the profile
   set's validity get a named code instead.

Cost is O(rows x items x clusters) in NumPy, no Python per row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from openpbr.clustering.codes import ResultCode
from openpbr.clustering.profiles import ProfileSet
from openpbr.clustering.ratings import N_ITEMS, NOT_KNOWN

TOP = 3
# Row status codes used inside the engine (small ints, mapped to ResultCode at the edge).
STATUS = (
    ResultCode.OK,
    ResultCode.VARIANCE,
    ResultCode.INSUFFICIENT_RATINGS,
    ResultCode.AGE_OUT_OF_SCOPE,
    ResultCode.NO_PROFILE_IN_FORCE,
)
S_OK, S_VARIANCE, S_INSUFFICIENT, S_AGE, S_NO_PROFILE = range(len(STATUS))
CTX_BIT0 = N_ITEMS  # context-rule bits follow the item bits


@dataclass
class Scores:
    """Engine output for n rows. Cluster indices refer to ``profiles.clusters``."""

    fit: np.ndarray | None  # [n, K] float64 when full_fit was asked for
    breach: np.ndarray  # [n, K] bool
    top: np.ndarray  # [n, TOP] int cluster index, best first
    top_fit: np.ndarray  # [n, TOP]
    top_bits: np.ndarray  # [n, TOP] uint32: bit i = item i breaks the red rule; CTX_BIT0+j = context rule j
    status: np.ndarray  # [n] int8 index into STATUS
    stability: np.ndarray  # [n] bool: previous cluster kept within the margin
    not_known: np.ndarray  # [n] count of 9s


def score(
    ratings: np.ndarray,
    profiles: ProfileSet,
    *,
    psychosis_history: np.ndarray | None = None,  # int8: 1 yes, 0 no, -1 unknown
    age: np.ndarray | None = None,  # int16, -1 unknown
    previous: np.ndarray | None = None,  # int cluster index, -1 none/not scored
    in_force: np.ndarray | None = None,  # bool, profile set in force on the assessment date
    full_fit: bool = False,  # also return the fit of every cluster (explanations, calibration)
) -> Scores:
    x = np.asarray(ratings, dtype=np.intp)
    n = x.shape[0]
    g = profiles.grouped
    k = g.ranking.shape[2]
    codes = g.codes(x)

    # ranking key = fit + tiny specificity tie-break; 9 contributes nothing
    key = np.zeros((n, k), dtype=np.float32)
    breach_mask = np.zeros(n, dtype=np.uint32)
    for gi, c in enumerate(codes):
        key += g.ranking[gi][c]
        breach_mask |= g.breach[gi][c]

    ctx_masks = _context_masks(profiles, psychosis_history, age, n)
    for m in ctx_masks:
        breach_mask |= m
    cluster_bit = np.uint32(1) << np.arange(k, dtype=np.uint32)
    breach = (breach_mask[:, None] & cluster_bit[None, :]) != 0
    key -= np.float32(2.0) * breach  # any cluster without a breach outranks every cluster with one

    stability = np.zeros(n, dtype=bool)
    margin = profiles.settings.stability_margin
    if previous is not None and margin > 0:
        prev = np.asarray(previous, dtype=np.intp)
        rows = np.nonzero(prev >= 0)[0]
        pidx = prev[rows]
        keep = ~breach[rows, pidx]
        rows, pidx = rows[keep], pidx[keep]
        best = key[rows].max(axis=1)
        stability[rows] = (key[rows, pidx] < best) & (key[rows, pidx] + margin >= best)
        key[rows, pidx] += margin

    top = np.empty((n, TOP), dtype=np.intp)
    ar = np.arange(n)
    for t in range(TOP):
        idx = np.argmax(key, axis=1)  # first maximum: lower cluster code wins exact ties
        top[:, t] = idx
        key[ar, idx] = -np.inf

    top_fit = np.zeros((n, TOP), dtype=np.float64)
    top_bits = np.zeros((n, TOP), dtype=np.uint32)
    for gi, c in enumerate(codes):
        top_fit += g.fit[gi][c[:, None], top]
        top_bits |= g.item_bits[gi][c[:, None], top]
    for j, m in enumerate(ctx_masks):
        hit = (m[:, None] & cluster_bit[top]) != 0
        top_bits |= hit.astype(np.uint32) << np.uint32(CTX_BIT0 + j)
    top_breach = np.take_along_axis(breach, top[:, :1], axis=1)[:, 0]

    fit = None
    if full_fit:
        fit = np.zeros((n, k), dtype=np.float64)
        for gi, c in enumerate(codes):
            fit += g.fit[gi][c]

    not_known = (x == NOT_KNOWN).sum(axis=1)
    status = np.where(
        (np.round(top_fit[:, 0], 3) >= profiles.settings.variance_threshold) & ~top_breach, S_OK, S_VARIANCE
    ).astype(np.int8)
    status[not_known > profiles.settings.max_not_known] = S_INSUFFICIENT
    if age is not None and profiles.settings.min_age is not None:
        a = np.asarray(age)
        status[(a >= 0) & (a < profiles.settings.min_age)] = S_AGE
    if in_force is not None:
        status[~np.asarray(in_force, dtype=bool)] = S_NO_PROFILE
    return Scores(fit=fit, breach=breach, top=top, top_fit=top_fit, top_bits=top_bits, status=status, stability=stability, not_known=not_known)


def _context_masks(profiles: ProfileSet, psychosis_history: np.ndarray | None, age: np.ndarray | None, n: int) -> list[np.ndarray]:
    """One uint32 cluster mask per context rule, per row (0 where the rule does not apply)."""
    masks = []
    for rule in profiles.spec.context_rules:
        cbits = np.uint32(0)
        for c in rule.clusters:
            cbits |= np.uint32(1) << np.uint32(profiles.cluster_index(c))
        applies = rule.applies_array(psychosis_history, age) if (psychosis_history is not None or age is not None) else np.zeros(n, dtype=bool)
        masks.append(np.where(applies, cbits, np.uint32(0)).astype(np.uint32))
    return masks
