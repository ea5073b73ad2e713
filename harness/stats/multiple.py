"""Holm's step-down correction of p-values for several comparisons (family-wise error rate)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order (Holm 1979).

    Sorted ascending, the i-th smallest (0-based) becomes ``max over j <= i of min(1, (m - j) * p_j)``;
    reject at ``alpha`` where the adjusted value is ``<= alpha``.
    """
    p = np.asarray(list(p_values), dtype=np.float64)
    m = len(p)
    if m == 0:
        return []
    order = np.argsort(p, kind="stable")
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.maximum.accumulate(scaled)
    return [float(x) for x in adjusted]
