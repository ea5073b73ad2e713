"""Paired comparison of two methods on the same queries: delta, paired-bootstrap interval, p-value.

Rows are (trial, query) pairs scored by both methods. The statistic is the metric's own mean: the
mean over trials of each trial's mean over its queries (one trial: the mean over queries), so
``delta = a - b`` is exactly the difference of the two reported numbers.

* Interval of the delta: the bootstrap of :mod:`harness.stats.bootstrap` applied to the per-row
  differences (queries; trials then queries when there are several trials), percentile.
* p-value, binary metric (R1, R5, ...) with every query once: exact McNemar on the discordant pairs.
* p-value otherwise: a paired sign-flip (permutation) test. Under the null the two methods' outcomes
  on a query are exchangeable, so each query's difference is as likely to have either sign. A query
  that occurs several times (several trials or mask repeats) is one cluster whose rows flip
  together. Two-sided, ``p = (1 + #{|S*| >= |S|}) / (1 + n_permutations)``; exact enumeration of
  every sign pattern when at most ``EXACT_CLUSTERS`` clusters differ.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from harness.errors import MetricError
from harness.stats.bootstrap import (
    DEFAULT_LEVEL,
    DEFAULT_RESAMPLES,
    DEFAULT_SEED,
    percentile_interval,
    resample_statistic,
)
from harness.stats.mcnemar import discordant, mcnemar_exact

DEFAULT_PERMUTATIONS = 10_000
EXACT_CLUSTERS = 16
_BLOCK = 1 << 23


@dataclass(frozen=True)
class PairedResult:
    """A paired comparison of A and B on one metric."""

    a: float
    b: float
    delta: float
    ci_low: float
    ci_high: float
    p_value: float
    test: str
    n_pairs: int
    level: float = DEFAULT_LEVEL

    def to_dict(self) -> dict:
        return asdict(self)


def sign_flip_test(
    cluster_sums: np.ndarray, *, n_permutations: int = DEFAULT_PERMUTATIONS, seed: int = DEFAULT_SEED
) -> float:
    """Two-sided paired sign-flip p-value of ``S = sum(cluster_sums)`` (exact for few clusters)."""
    d = np.asarray(cluster_sums, dtype=np.float64)
    d = d[d != 0]
    if len(d) == 0:
        return 1.0
    observed = abs(d.sum())
    tol = 1e-12 * max(1.0, float(np.abs(d).sum()))
    if len(d) <= EXACT_CLUSTERS:
        patterns = ((np.arange(2 ** len(d))[:, None] >> np.arange(len(d))) & 1) * 2 - 1
        return float(np.mean(np.abs(patterns @ d) >= observed - tol))
    if not isinstance(n_permutations, int) or n_permutations < 1:
        raise MetricError(f"n_permutations: expected a positive integer, got {n_permutations!r}")
    rng = np.random.default_rng(seed)
    extreme = 0
    total = d.sum()
    n = len(d)
    step = max(1, _BLOCK // n)
    for p0 in range(0, n_permutations, step):
        b = min(step, n_permutations - p0)
        # one random bit per (permutation, cluster): S* = sum(+d) - sum(-d) = 2 * (bits @ d) - sum(d)
        raw = np.frombuffer(rng.bytes(b * ((n + 7) // 8)), dtype=np.uint8).reshape(b, -1)
        bits = np.unpackbits(raw, axis=1, count=n).astype(np.float64)
        extreme += int(np.sum(np.abs(2.0 * (bits @ d) - total) >= observed - tol))
    return (1 + extreme) / (1 + n_permutations)


def paired_compare(
    a: np.ndarray,
    b: np.ndarray,
    trial: np.ndarray,
    cluster: np.ndarray,
    *,
    binary: bool,
    n_resamples: int = DEFAULT_RESAMPLES,
    n_permutations: int = DEFAULT_PERMUTATIONS,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
) -> PairedResult:
    """Compare per-row values ``a`` and ``b`` (same rows, same order).

    ``trial`` groups rows into trials (the statistic averages trial means); ``cluster`` names the
    query of each row (rows of one query flip sign together). ``binary`` marks 0/1 outcomes (R-k),
    tested with exact McNemar when every cluster has one row.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    trial = np.asarray(trial)
    cluster = np.asarray(cluster)
    if not (a.shape == b.shape == trial.shape == cluster.shape) or a.ndim != 1:
        raise MetricError(
            f"paired: a, b, trial and cluster must be 1-D of one length, got {a.shape}, {b.shape}, "
            f"{trial.shape}, {cluster.shape}"
        )
    if len(a) == 0:
        raise MetricError("paired: no pairs to compare")
    trials, t_index = np.unique(trial, return_inverse=True)
    sizes = np.bincount(t_index)
    weight = 1.0 / (len(trials) * sizes[t_index])  # mean over trials of trial means
    mean_a, mean_b = float(weight @ a), float(weight @ b)
    d = a - b
    groups = [d[t_index == t] for t in range(len(trials))]
    low, high = percentile_interval(resample_statistic(groups, n_resamples, seed), level)
    _, c_index = np.unique(cluster, return_inverse=True)
    if binary and len(np.unique(c_index)) == len(a):
        p, test = mcnemar_exact(*discordant(a > 0.5, b > 0.5)), "exact McNemar"
    else:
        sums = np.bincount(c_index, weights=weight * d)
        p, test = sign_flip_test(sums, n_permutations=n_permutations, seed=seed), "paired sign-flip"
    return PairedResult(
        a=mean_a,
        b=mean_b,
        delta=mean_a - mean_b,
        ci_low=float(low[0]),
        ci_high=float(high[0]),
        p_value=float(p),
        test=test,
        n_pairs=len(a),
        level=level,
    )


def group_rows(values: np.ndarray, trial: np.ndarray) -> list[np.ndarray]:
    """Split per-row values into per-trial arrays (trial order: sorted trial ids)."""
    trial = np.asarray(trial)
    return [np.asarray(values)[trial == t] for t in np.unique(trial)]
