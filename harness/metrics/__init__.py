"""Retrieval metrics: CMC, mAP and mINP (market1501 conventions), exact and fast.

Importing this package does not import torch; the evaluators import it when called. See
``docs/metrics.md`` for every convention.
"""

from __future__ import annotations

from harness.metrics.api import evaluate_distances, evaluate_features
from harness.metrics.distance import pairwise_distances
from harness.metrics.rerank import RerankParams, rerank_dense, rerank_features
from harness.metrics.result import RetrievalResult
from harness.metrics.t2i import evaluate_text_to_image
from harness.metrics.trials import TrialSummary, aggregate_trials, evaluate_trials

__all__ = [
    "RerankParams",
    "RetrievalResult",
    "TrialSummary",
    "aggregate_trials",
    "evaluate_distances",
    "evaluate_features",
    "evaluate_text_to_image",
    "evaluate_trials",
    "pairwise_distances",
    "rerank_dense",
    "rerank_features",
]
