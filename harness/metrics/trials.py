"""Multi-trial aggregation: mean and standard deviation of each metric over trials (the 10 random
splits of VIPeR / GRID / PRID / iLIDS in the small DG targets, the repeated maskings of a text leg).
The leg pipeline aggregates through :func:`mean_std` (:func:`harness.pipeline.phases.aggregate`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from harness.errors import MetricError


def mean_std(per_trial: Sequence[Mapping[str, float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Mean and population std (ddof=0) of every scalar present in all trials, keeping key order.

    The one aggregation rule of the harness: small-target splits (MetaBIN reports ``np.std``) and
    repeated text maskings alike.
    """
    if not per_trial:
        raise MetricError("trials: no trial results to aggregate")
    keys = [k for k in per_trial[0] if all(k in t for t in per_trial)]
    values = {k: np.asarray([t[k] for t in per_trial], dtype=np.float64) for k in keys}
    return {k: float(v.mean()) for k, v in values.items()}, {k: float(v.std()) for k, v in values.items()}
