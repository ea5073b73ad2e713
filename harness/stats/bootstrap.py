"""Seeded, vectorised bootstrap of means over queries, and over trials then queries.

Scheme (``docs/statistics.md``):

* one split (``groups`` holds one array): resample the queries with replacement, ``n_resamples``
  times; each resample's statistic is the column mean;
* several trials (random splits, each with its own queries): two-stage resampling. Draw ``T`` trial
  slots with replacement from the ``T`` trials, resample each drawn trial's queries with replacement,
  and average the per-trial means, as the point estimate averages the trials.

Intervals are **percentile** intervals (the ``(1 - level) / 2`` and ``(1 + level) / 2`` quantiles of the
resampled statistics, NumPy's linear interpolation). A resample is a vector of counts per query,
drawn with one ``bincount`` and applied with one matrix product, so no ``resamples x queries x
metrics`` array is ever built.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np

from harness.errors import MetricError

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95
DEFAULT_SEED = 0
METHOD = "percentile"
_BLOCK = 1 << 22  # resample x query counts per block (32 MiB of float64)


@dataclass(frozen=True)
class Interval:
    """A bootstrap confidence interval of one statistic."""

    low: float
    high: float
    level: float = DEFAULT_LEVEL
    method: str = METHOD
    scheme: str = "queries"
    """``queries`` (one split) or ``trials+queries`` (two-stage, several trials)."""
    n_resamples: int = DEFAULT_RESAMPLES
    seed: int = DEFAULT_SEED

    def to_dict(self) -> dict:
        return asdict(self)


def _as_matrix(values: np.ndarray, name: str = "values") -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise MetricError(
            f"{name}: expected a 1-D or 2-D array (queries x statistics), got shape {arr.shape}"
        )
    if len(arr) == 0:
        raise MetricError(f"{name}: no queries to resample")
    if not np.isfinite(arr).all():
        raise MetricError(f"{name}: contains NaN or infinite values")
    return arr


def bootstrap_means(values: np.ndarray, n_resamples: int, rng: np.random.Generator) -> np.ndarray:
    """``[n_resamples, m]`` column means of ``values`` ``[n, m]`` over query resamples with replacement."""
    vals = _as_matrix(values)
    n = len(vals)
    out = np.empty((n_resamples, vals.shape[1]))
    step = max(1, _BLOCK // n)
    for b0 in range(0, n_resamples, step):
        b = min(step, n_resamples - b0)
        draws = rng.integers(0, n, size=(b, n), dtype=np.int64)
        draws += (np.arange(b, dtype=np.int64) * n)[:, None]
        counts = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(np.float64)
        out[b0 : b0 + b] = (counts @ vals) / n
    return out


def resample_statistic(
    groups: Sequence[np.ndarray], n_resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED
) -> np.ndarray:
    """``[n_resamples, m]`` resampled means: queries for one group, trials then queries for several.

    ``groups[t]`` holds trial ``t``'s per-query values ``[n_t, m]``; the statistic is the mean over
    trials of each trial's column means (for one trial, the column means).
    """
    if not isinstance(n_resamples, int) or n_resamples < 1:
        raise MetricError(f"n_resamples: expected a positive integer, got {n_resamples!r}")
    mats = [_as_matrix(g, f"trial {t}") for t, g in enumerate(groups)]
    if not mats:
        raise MetricError("bootstrap: no trials to resample")
    widths = {m.shape[1] for m in mats}
    if len(widths) != 1:
        raise MetricError(f"bootstrap: trials carry different numbers of statistics ({sorted(widths)})")
    rng = np.random.default_rng(seed)
    n_trials = len(mats)
    if n_trials == 1:
        return bootstrap_means(mats[0], n_resamples, rng)
    slots = rng.integers(0, n_trials, size=(n_resamples, n_trials))
    # every (resample, slot) gets its own query resample of every trial; the slot's trial picks one
    per_trial = np.stack([bootstrap_means(m, n_resamples * n_trials, rng) for m in mats])
    flat = np.arange(n_resamples * n_trials).reshape(n_resamples, n_trials)
    return per_trial[slots, flat].mean(axis=1)


def percentile_interval(samples: np.ndarray, level: float = DEFAULT_LEVEL) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper percentile bounds (per column) of resampled statistics ``[n_resamples, m]``."""
    if not 0 < level < 1:
        raise MetricError(f"level: expected a number between 0 and 1, got {level!r}")
    alpha = (1 - level) / 2
    low, high = np.quantile(np.asarray(samples, dtype=np.float64), [alpha, 1 - alpha], axis=0)
    return low, high


def bootstrap_interval(
    groups: Sequence[np.ndarray],
    *,
    n_resamples: int = DEFAULT_RESAMPLES,
    level: float = DEFAULT_LEVEL,
    seed: int = DEFAULT_SEED,
) -> list[Interval]:
    """One percentile :class:`Interval` per column of the per-query values in ``groups``."""
    samples = resample_statistic(groups, n_resamples, seed)
    low, high = percentile_interval(samples, level)
    scheme = "queries" if len(groups) == 1 else "trials+queries"
    return [
        Interval(float(lo), float(hi), level, METHOD, scheme, n_resamples, seed)
        for lo, hi in zip(low, high, strict=True)
    ]
