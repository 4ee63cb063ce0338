"""Synthetic MHCT histories with realistic structure, for demos, benchmarks and calibration tests.

Generative model (documented so the best achievable accuracy can be computed):

- a cluster k is drawn from prevalence ``pi``;
- a person-level severity ``z ~ N(0, 1)`` moves every item together (loading
  ``lam_i``): real ratings are strongly correlated within a cluster, which is
  what breaks methods that treat items as independent given the cluster;
- each latent item value is ``mu[k, i] + lam_i * z + e``, ``e ~ N(0, sigma^2)``,
  rounded and clipped to 0-4; each rating is 9 (not known) with ``p_missing``;
- the recorded clinician cluster is the true one with probability
  ``1 - label_noise``, otherwise a different cluster of the same super class
  (clinicians confuse neighbours, not opposites).

``oracle_posterior`` integrates z out exactly (Gauss-Hermite quadrature), so it
gives the Bayes-optimal prediction for data from this model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import ndtr

from openpbr.clustering.profiles import ProfileSet, load_profiles
from openpbr.clustering.ratings import ITEM_CODES, KNOWN_RATINGS, N_ITEMS, NOT_KNOWN

# Rough caseload shape: more people in the ongoing-psychosis, moderate and dementia clusters.
DEFAULT_PREVALENCE = {
    "01": 3, "02": 5, "03": 9, "04": 8, "05": 4, "06": 2, "07": 5, "08": 4,
    "10": 4, "11": 9, "12": 8, "13": 5, "14": 2, "15": 1, "16": 3, "17": 3,
    "18": 6, "19": 8, "20": 6, "21": 5,
}  # fmt: skip


@dataclass(frozen=True)
class Model:
    clusters: tuple[str, ...]
    super_classes: tuple[str, ...]
    pi: np.ndarray  # [K]
    mu: np.ndarray  # [K, I] latent centre on the 0-4 scale
    lam: np.ndarray  # [I] severity loading
    sigma: float
    p_missing: float
    label_noise: float

    @property
    def noise_matrix(self) -> np.ndarray:
        """T[k, j] = P(recorded j | true k)."""
        k = len(self.clusters)
        t = np.zeros((k, k))
        sc = np.array(self.super_classes)
        for a in range(k):
            same = np.nonzero((sc == sc[a]) & (np.arange(k) != a))[0]
            t[a, a] = 1 - self.label_noise
            t[a, same] = self.label_noise / len(same)
        return t


def model_from_profiles(
    profiles: ProfileSet | None = None,
    *,
    loading: float = 0.6,
    sigma: float = 0.55,
    p_missing: float = 0.02,
    label_noise: float = 0.1,
    prevalence: dict[str, float] | None = None,
) -> Model:
    """A generative model whose item centres are the middle of each cluster's expected band."""
    profiles = profiles or load_profiles()
    k = len(profiles.clusters)
    mu = np.zeros((k, N_ITEMS))
    for ki, c in enumerate(profiles.clusters):
        prof = profiles.spec.clusters[c]
        for ii, code in enumerate(ITEM_CODES):
            exp = sorted(prof.item(code).expected) or [0]
            mu[ki, ii] = (exp[0] + exp[-1]) / 2
    lam = np.where(np.array([c.startswith("hist") for c in ITEM_CODES]), loading / 2, loading)
    prev = prevalence or DEFAULT_PREVALENCE
    pi = np.array([prev.get(c, 1.0) for c in profiles.clusters], dtype=float)
    return Model(
        clusters=profiles.clusters,
        super_classes=tuple(profiles.super_classes),
        pi=pi / pi.sum(),
        mu=mu,
        lam=lam,
        sigma=sigma,
        p_missing=p_missing,
        label_noise=label_noise,
    )


@dataclass
class History:
    ratings: np.ndarray  # [n, I] int8 (0-4, 9)
    true_cluster: np.ndarray  # [n] index into model.clusters
    recorded_cluster: np.ndarray  # [n] index: the clinician's (noisy) label
    severity: np.ndarray  # [n]


def sample(model: Model, n: int, seed: int = 0) -> History:
    rng = np.random.default_rng(seed)
    k = rng.choice(len(model.clusters), size=n, p=model.pi)
    z = rng.standard_normal(n)
    latent = model.mu[k] + model.lam[None, :] * z[:, None] + rng.normal(0, model.sigma, (n, N_ITEMS))
    x = np.clip(np.rint(latent), 0, 4).astype(np.int8)
    x[rng.random((n, N_ITEMS)) < model.p_missing] = NOT_KNOWN
    t = model.noise_matrix
    cum = np.cumsum(t[k], axis=1)
    recorded = (rng.random(n)[:, None] > cum).sum(axis=1)
    return History(ratings=x, true_cluster=k, recorded_cluster=np.minimum(recorded, len(model.clusters) - 1), severity=z)


def oracle_posterior(model: Model, ratings: np.ndarray, nodes: int = 24, chunk: int = 4096) -> np.ndarray:
    """P(true cluster | ratings) under the model, z integrated out. [n, K]."""
    gz, gw = np.polynomial.hermite_e.hermegauss(nodes)  # probabilists' Hermite: weight exp(-z^2/2)
    gw = gw / gw.sum()
    out = np.empty((ratings.shape[0], len(model.clusters)))
    for s in range(0, ratings.shape[0], chunk):
        x = ratings[s : s + chunk].astype(np.int64)
        known = x != NOT_KNOWN
        r = np.where(known, x, 0)
        # centre[k, q, i]
        centre = model.mu[:, None, :] + model.lam[None, None, :] * gz[None, :, None]
        lo = np.where(r == 0, -np.inf, r - 0.5)[:, None, None, :]
        hi = np.where(r == 4, np.inf, r + 0.5)[:, None, None, :]
        p = ndtr((hi - centre[None]) / model.sigma) - ndtr((lo - centre[None]) / model.sigma)
        logp = np.where(known[:, None, None, :], np.log(np.maximum(p, 1e-300)), 0.0).sum(axis=3)  # [n, K, Q]
        m = logp.max(axis=(1, 2), keepdims=True)
        lik = (np.exp(logp - m) * gw[None, None, :]).sum(axis=2)  # [n, K]
        post = lik * model.pi[None, :]
        out[s : s + chunk] = post / post.sum(axis=1, keepdims=True)
    return out


def oracle_accuracy(model: Model, history: History) -> dict[str, float]:
    """Best achievable accuracy on this history: against the true and the recorded clusters."""
    post = oracle_posterior(model, history.ratings)
    recorded_post = post @ model.noise_matrix
    return {
        "vs_true": float((post.argmax(axis=1) == history.true_cluster).mean()),
        "vs_recorded": float((recorded_post.argmax(axis=1) == history.recorded_cluster).mean()),
    }


def write_assessments_csv(path, history: History, model: Model, seed: int = 0, *, with_context: bool = True, with_cluster: bool = False, start: str = "2024-04-01") -> None:
    """Write a history as an ``openpbr cluster`` input file (and ``calibrate`` input with ``with_cluster``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    rng = np.random.default_rng(seed + 1)
    n = history.ratings.shape[0]
    cols: dict[str, pa.Array] = {"assessment_id": pa.array([f"A{i:08d}" for i in range(n)])}
    for ii, code in enumerate(ITEM_CODES):
        cols[code] = pa.array(history.ratings[:, ii].astype(np.int64))
        if code == "item_08":
            letters = np.array(list("ABCDEFGHIJ"))
            t = np.where((history.ratings[:, ii] > 0) & (history.ratings[:, ii] != NOT_KNOWN), letters[rng.integers(0, 10, n)], "")
            cols["item_08_type"] = pa.array(t)
    if with_context:
        days = rng.integers(0, 365, n)
        cols["assessed_on"] = pa.array((np.datetime64(start) + days.astype("timedelta64[D]")).astype("datetime64[D]"))
        sc = np.array(model.super_classes)[history.true_cluster]
        cols["psychosis_history"] = pa.array(np.where(sc == "B", np.where(np.isin(np.array(model.clusters)[history.true_cluster], ["10"]), "N", "Y"), "N"))
        old = sc == "C"
        cols["age"] = pa.array(np.where(old, rng.integers(65, 95, n), rng.integers(18, 75, n)))
    if with_cluster:
        cols["cluster"] = pa.array(np.array(model.clusters)[history.recorded_cluster])
    pacsv.write_csv(pa.table(cols), str(path), write_options=pacsv.WriteOptions(quoting_style="needed"))


__all__ = ["History", "Model", "model_from_profiles", "oracle_accuracy", "oracle_posterior", "sample", "write_assessments_csv", "KNOWN_RATINGS"]
