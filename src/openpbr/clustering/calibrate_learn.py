"""Learning cluster profiles from rated, clinician-confirmed history (arrays in, arrays out).

Two methods, both producing the engine's profile form (per cluster/item
support ``scores`` with max 1, non-negative item ``weights``), so the fit
stays interpretable and a 9 still contributes nothing:

- ``frequency``: scores are the smoothed relative frequency of each rating in
  the cluster, ``p(r|k) / max_r p(r|k)``; every weight is 1. Simple, but it
  treats the items as independent given the cluster: when overall severity
  moves many items together, those items all repeat the same evidence and
  swamp the items that really tell clusters apart.
- ``discriminative`` (default): starts from the frequency profile and learns
  the item weights and the scores of the non-modal ratings by minimising the
  softmax cross-entropy of ``fit / tau`` over the history (L-BFGS, analytic
  gradient), with an L2 pull back to the frequency scores and weight 1, and
  label smoothing within the super class, because clinicians confuse
  neighbouring clusters rather than opposites. Items that only repeat the
  severity evidence lose weight; items that tell clusters apart gain it.

Shapes: K clusters, I items, R = 5 known ratings (0-4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import minimize

from openpbr.clustering.ratings import N_ITEMS, NOT_KNOWN

R = 5  # known ratings 0-4
SLOTS = R + 1  # one-hot slot 5 = not known (9)


def rating_counts(x: np.ndarray, y: np.ndarray, k: int) -> np.ndarray:
    """[K, I, R] count of each known rating per cluster and item."""
    known = x != NOT_KNOWN
    cell = (y[:, None] * N_ITEMS + np.arange(N_ITEMS)[None, :]) * R + np.where(known, x, 0)
    return np.bincount(cell[known], minlength=k * N_ITEMS * R).reshape(k, N_ITEMS, R).astype(np.float64)


def frequency_scores(counts: np.ndarray, smoothing: float) -> np.ndarray:
    """[K, I, R] smoothed p(r|k) / max_r p(r|k).

    Smoothing shrinks each cluster towards the pooled rating distribution of
    the item (``smoothing`` pseudo-rows), so a rating never seen in a small
    cluster still gets a little support instead of an arbitrary zero.
    """
    pooled = counts.sum(axis=0) + 1.0  # [I, R]
    prior = pooled / pooled.sum(axis=1, keepdims=True)
    p = (counts + smoothing * prior[None]) / (counts.sum(axis=2, keepdims=True) + smoothing)
    return p / p.max(axis=2, keepdims=True)


def design_matrix(x: np.ndarray) -> sparse.csr_matrix:
    """[n, I*SLOTS] one-hot of every item's rating (9 in its own slot)."""
    n = x.shape[0]
    slot = np.where(x == NOT_KNOWN, R, x).astype(np.int64)
    cols = (np.arange(N_ITEMS) * SLOTS)[None, :] + slot
    data = np.ones(n * N_ITEMS)
    indptr = np.arange(0, n * N_ITEMS + 1, N_ITEMS)
    return sparse.csr_matrix((data, cols.ravel(), indptr), shape=(n, N_ITEMS * SLOTS))


def smoothed_targets(y: np.ndarray, super_class: np.ndarray, smoothing: float) -> np.ndarray:
    """[n, K] label-smoothed targets: ``smoothing`` of the mass spread over the other clusters of the same super class."""
    k = len(super_class)
    spread = np.zeros((k, k))
    for a in range(k):
        same = np.nonzero((super_class == super_class[a]) & (np.arange(k) != a))[0]
        if len(same) == 0 or smoothing == 0:
            spread[a, a] = 1.0
        else:
            spread[a, a] = 1.0 - smoothing
            spread[a, same] = smoothing / len(same)
    return spread[y]


def fit_matrix(a: sparse.csr_matrix, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """[n, K] engine fit: sum_i w_ki s_ki(r_i) / sum_i w_ki (scores have max 1)."""
    return a @ _contribution(scores, weights)


def _contribution(scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    k = scores.shape[0]
    s = np.zeros((N_ITEMS, SLOTS, k))
    s[:, :R, :] = scores.transpose(1, 2, 0)
    return (s * (weights / weights.sum(axis=1, keepdims=True)).T[:, None, :]).reshape(N_ITEMS * SLOTS, k)


@dataclass(frozen=True)
class ProfileFit:
    scores: np.ndarray  # [K, I, R], max over ratings 1
    weights: np.ndarray  # [K, I]
    temperature: float
    loss: float
    iterations: int
    converged: bool


def learn_profile(
    x: np.ndarray,
    y: np.ndarray,
    start: np.ndarray,
    super_class: np.ndarray,
    *,
    l2_weights: float = 0.01,
    l2_scores: float = 0.01,
    label_smoothing: float = 0.1,
    learn_scores: bool = True,
    max_iter: int = 300,
    tolerance: float = 1e-7,
) -> ProfileFit:
    """Weights (and scores) minimising cross-entropy of softmax(fit / tau), regularised towards ``start``.

    Parametrisation keeps the engine's profile form: w_ki = exp(u_ki) >= 0;
    the most frequent rating of each cluster/item (the anchor of ``start``)
    keeps score 1, every other rating has score sigmoid(v_kir) in (0, 1).
    tau is learned too (log-parametrised): it never changes which cluster
    ranks first, only how confident the loss is.
    """
    objective, theta0, unpack = profile_objective(
        x, y, start, super_class, l2_weights=l2_weights, l2_scores=l2_scores, label_smoothing=label_smoothing, learn_scores=learn_scores
    )
    res = minimize(objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "ftol": tolerance})
    u, _, s, t = unpack(res.x)
    return ProfileFit(scores=s, weights=np.exp(u), temperature=float(np.exp(t)), loss=float(res.fun), iterations=int(res.nit), converged=bool(res.success))


def profile_objective(
    x: np.ndarray,
    y: np.ndarray,
    start: np.ndarray,
    super_class: np.ndarray,
    *,
    l2_weights: float,
    l2_scores: float,
    label_smoothing: float,
    learn_scores: bool = True,
):
    """(objective(theta) -> (loss, gradient), theta0, unpack) for :func:`learn_profile`.

    With W_k = sum_i w_ki and fit_k = sum_i w_ki s_ki(r_i) / W_k:
    d fit_k / d u_ki = w_ki (s_ki(r_i) - fit_k) / W_k and
    d fit_k / d v_kir = [r_i = r] w_ki s (1 - s) / W_k.
    """
    k = start.shape[0]
    n = len(y)
    a = design_matrix(x)
    at = a.T.tocsr()
    target = smoothed_targets(y, super_class, label_smoothing)
    anchor = start == start.max(axis=2, keepdims=True)
    anchor &= np.cumsum(anchor, axis=2) == 1  # one anchor per cluster/item
    free = ~anchor
    v0 = _logit(np.clip(start, 0.01, 0.99))
    nu, nv = k * N_ITEMS, k * N_ITEMS * R

    def unpack(theta: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
        u = theta[:nu].reshape(k, N_ITEMS)
        v = theta[nu : nu + nv].reshape(k, N_ITEMS, R)
        s = np.where(anchor, 1.0, _sigmoid(v)) if learn_scores else start
        return u, v, s, theta[-1]

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        u, v, s, t = unpack(theta)
        w = np.exp(u)
        wsum = w.sum(axis=1)
        s_full = np.zeros((N_ITEMS, SLOTS, k))
        s_full[:, :R, :] = s.transpose(1, 2, 0)
        fit = a @ (s_full * (w / wsum[:, None]).T[:, None, :]).reshape(N_ITEMS * SLOTS, k)
        logits = fit * np.exp(-t)
        logp = _log_softmax(logits)
        dv_reg = np.where(free, v - v0, 0.0) if learn_scores else np.zeros_like(v)
        loss = -(target * logp).sum() / n + 0.5 * l2_weights * (u * u).sum() + 0.5 * l2_scores * (dv_reg * dv_reg).sum()
        g = (np.exp(logp) - target) / n  # dL/dlogits
        dt = -(g * logits).sum()
        gf = g * np.exp(-t)  # dL/dfit
        hit = (at @ gf).reshape(N_ITEMS, SLOTS, k)[:, :R, :].transpose(2, 0, 1)  # [K, I, R] sum_n gf_nk [r_ni = r]
        term = (hit * s).sum(axis=2)  # [K, I] sum_n gf_nk s_ki(r_ni)
        du = w * (term - (gf * fit).sum(axis=0)[:, None]) / wsum[:, None] + l2_weights * u
        if learn_scores:
            dv = np.where(free, hit * (w / wsum[:, None])[:, :, None] * s * (1 - s), 0.0) + l2_scores * dv_reg
        else:
            dv = np.zeros((k, N_ITEMS, R))
        return loss, np.concatenate([du.ravel(), dv.ravel(), [dt]])

    theta0 = np.concatenate([np.zeros(nu), v0.ravel(), [np.log(0.05)]])
    return objective, theta0, unpack


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _logit(p: np.ndarray) -> np.ndarray:
    return np.log(p / (1.0 - p))


def narrowest_range(counts: np.ndarray, coverage: float) -> tuple[int, int]:
    """Narrowest contiguous rating range [lo, hi] holding at least ``coverage`` of the counts (ties: the heavier range, then the lower)."""
    total = counts.sum()
    best: tuple[int, int] | None = None
    best_mass = -1.0
    for width in range(1, R + 1):
        for lo in range(0, R - width + 1):
            mass = counts[lo : lo + width].sum()
            if mass >= coverage * total and mass > best_mass:
                best, best_mass = (lo, lo + width - 1), mass
        if best is not None:
            return best
    return (0, R - 1)
