"""Multi-trial evaluation: mean and standard deviation of each metric over splits (e.g. the 10
random splits of VIPeR / GRID / PRID / iLIDS in the small DG targets)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import MetricError
from harness.metrics.result import RetrievalResult


@dataclass(frozen=True)
class TrialSummary:
    """Per-metric mean and population standard deviation (ddof=0, NumPy's default) over trials."""

    n_trials: int
    mean: dict[str, float]
    std: dict[str, float]
    cmc_mean: list[float]
    trials: list[dict[str, Any]]
    conventions: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_trials": self.n_trials,
            "mean": dict(self.mean),
            "std": dict(self.std),
            "cmc_mean": list(self.cmc_mean),
            "trials": list(self.trials),
            "std_ddof": 0,
        }


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


def aggregate_trials(results: Sequence[RetrievalResult | Mapping[str, Any]]) -> TrialSummary:
    """Mean and std (ddof=0) of the registry's headline metrics (those present in every trial) and
    the mean CMC."""
    from harness.metrics.registry import metric_names

    if not results:
        raise MetricError("trials: no trial results to aggregate")
    dicts = [r.to_dict() if isinstance(r, RetrievalResult) else dict(r) for r in results]
    keys = [k for k in metric_names() if all(k in d for d in dicts)]
    mean = {k: float(np.mean([d[k] for d in dicts])) for k in keys}
    std = {k: float(np.std([d[k] for d in dicts])) for k in keys}
    cmc_mean: list[float] = []
    if all("cmc" in d for d in dicts):
        lengths = {len(d["cmc"]) for d in dicts}
        if len(lengths) != 1:
            raise MetricError(f"trials: CMC curves differ in length ({sorted(lengths)}); use one max_rank")
        cmc_mean = [float(x) for x in np.mean([d["cmc"] for d in dicts], axis=0)]
    conv = results[0].conventions if isinstance(results[0], RetrievalResult) else None
    return TrialSummary(
        n_trials=len(dicts), mean=mean, std=std, cmc_mean=cmc_mean, trials=dicts, conventions=conv
    )


def evaluate_trials(splits: Iterable[Mapping[str, Any]], **kwargs: Any) -> TrialSummary:
    """Evaluate each split (a mapping with ``q_feats``, ``g_feats``, ``q_pids``, ``g_pids`` and optional
    ``q_camids``/``g_camids``) with :func:`evaluate_features` and aggregate."""
    from harness.metrics.api import evaluate_features

    results = []
    for i, split in enumerate(splits):
        missing = {"q_feats", "g_feats", "q_pids", "g_pids"} - set(split)
        if missing:
            raise MetricError(f"trials: split {i} lacks {sorted(missing)}")
        results.append(
            evaluate_features(
                split["q_feats"],
                split["g_feats"],
                split["q_pids"],
                split["g_pids"],
                split.get("q_camids"),
                split.get("g_camids"),
                **kwargs,
            )
        )
    return aggregate_trials(results)
