"""Exact McNemar test for paired binary outcomes (e.g. rank-1 hit of two methods on the same queries)."""

from __future__ import annotations

import math

import numpy as np

from harness.errors import MetricError


def _binom_cdf_half(k: int, n: int) -> float:
    """P(X <= k) for X ~ Binomial(n, 1/2), summed in log space (exact to float rounding)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    logs = [
        math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2)
        for i in range(k + 1)
    ]
    top = max(logs)
    return math.exp(top) * sum(math.exp(v - top) for v in logs)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts.

    ``b``: pairs where A is right and B wrong; ``c``: the reverse. Under the null both are equally
    likely, so ``b ~ Binomial(b + c, 1/2)``; the p-value is ``min(1, 2 * P(X <= min(b, c)))``
    (1 when there is no discordant pair).
    """
    for name, v in (("b", b), ("c", c)):
        if not isinstance(v, (int, np.integer)) or v < 0:
            raise MetricError(f"mcnemar: {name} must be a non-negative integer count, got {v!r}")
    n = int(b) + int(c)
    if n == 0:
        return 1.0
    return min(1.0, 2.0 * _binom_cdf_half(min(int(b), int(c)), n))


def discordant(hit_a: np.ndarray, hit_b: np.ndarray) -> tuple[int, int]:
    """``(b, c)``: pairs A hit / B missed, and A missed / B hit."""
    a = np.asarray(hit_a, dtype=bool)
    bb = np.asarray(hit_b, dtype=bool)
    if a.shape != bb.shape:
        raise MetricError(f"mcnemar: outcome arrays differ in shape ({a.shape} vs {bb.shape})")
    return int(np.sum(a & ~bb)), int(np.sum(~a & bb))
