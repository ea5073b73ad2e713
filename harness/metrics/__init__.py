"""Retrieval metrics: CMC, mAP and mINP (market1501 conventions), exact and fast.

Importing this package does not import torch; the evaluators import it when called. See
``docs/metrics.md`` for every convention.
"""

from __future__ import annotations

from harness.metrics.api import evaluate_distances, evaluate_features
from harness.metrics.distance import pairwise_distances
from harness.metrics.rerank import RerankParams, rerank_dense, rerank_features
from harness.metrics.result import RetrievalResult

__all__ = [
    "RerankParams",
    "RetrievalResult",
    "evaluate_distances",
    "evaluate_features",
    "pairwise_distances",
    "rerank_dense",
    "rerank_features",
]
