"""Numerical safety of embeddings: NaN or Inf rows are found before any scoring."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from harness.errors import MetricError

SHOWN = 5


def check_finite(features: np.ndarray, paths: Sequence[str], role: str, method: str) -> None:
    """Raise :class:`MetricError` naming the count and the first offending items of ``role``."""
    bad_rows = np.flatnonzero(~np.isfinite(features).all(axis=1))
    if len(bad_rows) == 0:
        return
    n_nan = int(np.isnan(features[bad_rows]).any(axis=1).sum())
    shown = ", ".join(paths[i] for i in bad_rows[:SHOWN])
    more = f" and {len(bad_rows) - SHOWN} more" if len(bad_rows) > SHOWN else ""
    raise MetricError(
        f"method {method!r}: {len(bad_rows)} of {len(features)} {role} embeddings are not finite "
        f"({n_nan} with NaN, {len(bad_rows) - n_nan} with Inf only): {shown}{more}; nothing was scored "
        "(try --dtype fp32 if a half-precision run overflowed)"
    )
