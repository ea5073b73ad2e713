"""Turn per-query values into a :class:`RetrievalResult` (means over the counted queries)."""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.errors import MetricError
from harness.metrics.inputs import Labels, no_valid_query_message
from harness.metrics.result import RetrievalResult


def cmc_from_first_ranks(first_rank: np.ndarray, valid: np.ndarray, max_rank: int) -> np.ndarray:
    """Sum over valid queries of the CMC rows implied by their 1-based first-hit ranks."""
    fr = first_rank[valid]
    counts = np.bincount(np.minimum(fr, max_rank + 1), minlength=max_rank + 2)[1 : max_rank + 1]
    return np.cumsum(counts).astype(np.float64)


def summarize(
    per_query: dict[str, np.ndarray],
    labels: Labels,
    *,
    junk: str,
    max_rank: int,
    denominator: str,
    conventions: dict[str, Any],
    cmc_sum: np.ndarray | None = None,
    topk: np.ndarray | None = None,
) -> RetrievalResult:
    """Means over valid queries (``denominator='valid'``) or over all queries with 0 for invalid ones."""
    valid = per_query["valid"]
    n_q = len(valid)
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise MetricError(no_valid_query_message(labels, junk))
    if cmc_sum is None:
        cmc_sum = cmc_from_first_ranks(per_query["first_rank"], valid, max_rank)
    denom = n_valid if denominator == "valid" else n_q
    cmc = cmc_sum / denom
    m_ap = float(np.sum(per_query["ap"][valid], dtype=np.float64) / denom)
    m_inp = float(np.sum(per_query["inp"][valid], dtype=np.float64) / denom)
    return RetrievalResult(
        cmc=cmc,
        mAP=m_ap,
        mINP=m_inp,
        n_query=n_q,
        n_valid_query=n_valid,
        conventions=conventions,
        query_ap=per_query["ap"],
        query_inp=per_query["inp"],
        query_first_rank=np.where(valid, per_query["first_rank"], 0).astype(np.int32),
        query_topk=topk,
    )
