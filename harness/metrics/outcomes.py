"""Per-query outcomes of one evaluation: first-hit rank, AP, INP and the top-k ranked gallery list.

The evaluators (:func:`harness.metrics.evaluate_features` / ``evaluate_distances``) fill them when
called with ``topk=K``; :class:`QueryOutcomes` is what result files store and what the statistics
(``harness.stats``) resample. Conventions, shared with the metric means:

* ``first_rank``: 1-based rank of the query's first true match in its junk-filtered ranking over the
  whole gallery (not capped at ``max_rank``); 0 for a query with no positive left (not counted).
* ``ap`` / ``inp``: step (or trapezoid) AP and INP as in ``docs/metrics.md``; NaN when not counted.
* ``topk``: the first ``K`` gallery indices of the junk-filtered ranking, ties to the lower gallery
  index (the metrics' tie policy), computed from the same distance blocks the metrics use (so
  re-ranking and AQE apply); ``-1`` pads a row when fewer than ``K`` items are left.

A metric's per-query value (:func:`query_values`) averaged over the counted queries is the metric:
``R{k}`` is ``1 <= first_rank <= k``, ``mAP`` is ``ap`` and ``mINP`` is ``inp``; with
``denominator='all'`` uncounted queries count as 0, with ``'valid'`` they are left out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from harness.errors import MetricError

if TYPE_CHECKING:
    import torch

    from harness.metrics.inputs import Labels

_RANK = re.compile(r"^R(\d+)$")


@dataclass(frozen=True, eq=False)
class QueryOutcomes:
    """Per-query arrays of one evaluation (see the module docstring for the conventions)."""

    first_rank: np.ndarray
    ap: np.ndarray
    inp: np.ndarray
    topk: np.ndarray | None = None

    @property
    def valid(self) -> np.ndarray:
        """Queries with at least one positive left (counted under ``denominator='valid'``)."""
        return self.first_rank > 0


def query_values(
    first_rank: np.ndarray, ap: np.ndarray, inp: np.ndarray, metric: str, denominator: str = "valid"
) -> np.ndarray:
    """Per-query values whose mean is ``metric`` (``R{k}``, ``mAP`` or ``mINP``).

    ``denominator='valid'`` returns one value per counted query (first_rank > 0); ``'all'`` one per
    query with 0 for uncounted ones, exactly as the evaluators average them.
    """
    from harness.metrics.registry import metric_info

    name = metric if _RANK.match(metric) else metric_info(metric).name  # any R<k>, or a registered name
    first_rank = np.asarray(first_rank)
    valid = first_rank > 0
    if m := _RANK.match(name):
        values = (valid & (first_rank <= int(m.group(1)))).astype(np.float64)
    elif name == "mAP":
        values = np.where(valid, np.asarray(ap, dtype=np.float64), 0.0)
    elif name == "mINP":
        values = np.where(valid, np.asarray(inp, dtype=np.float64), 0.0)
    else:
        raise MetricError(f"metric {name!r} has no per-query value (expected R<k>, mAP or mINP)")
    if denominator == "valid":
        return values[valid]
    if denominator == "all":
        return values
    raise MetricError(f"denominator: expected 'valid' or 'all', got {denominator!r}")


def junk_counts(labels: Labels, junk: str) -> np.ndarray:
    """Per query, how many gallery items its junk rule removes (same pid and same camera)."""
    n_q = len(labels.q_pids)
    if junk != "same-camera":
        return np.zeros(n_q, dtype=np.int64)
    width = int(max(labels.g_camids.max(initial=0), labels.q_camids.max(initial=0))) + 1
    g_key = labels.g_pids.astype(np.int64) * width + labels.g_camids
    q_key = labels.q_pids.astype(np.int64) * width + labels.q_camids
    keys, counts = np.unique(g_key, return_counts=True)
    pos = np.clip(np.searchsorted(keys, q_key), 0, max(len(keys) - 1, 0))
    hit = (keys[pos] == q_key) if len(keys) else np.zeros(n_q, dtype=bool)
    return np.where(hit, counts[pos] if len(keys) else 0, 0)


class TopK:
    """Accumulates the first ``k`` junk-filtered gallery indices per query from distance blocks."""

    def __init__(self, labels: Labels, k: int, junk: str) -> None:
        if not isinstance(k, int) or isinstance(k, bool) or k < 1:
            raise MetricError(f"topk: expected a positive integer, got {k!r}")
        self.labels = labels
        self.k = k
        self.junk = junk
        self.n_junk = junk_counts(labels, junk)
        self.out = np.full((len(labels.q_pids), k), -1, dtype=np.int32)

    def process(self, dist: torch.Tensor, row0: int) -> None:
        """Fill rows ``row0 .. row0 + len(dist)`` from their distance rows (smaller is closer)."""
        n_rows, n_g = dist.shape
        rows = slice(row0, row0 + n_rows)
        extra = int(self.n_junk[rows].max(initial=0))
        idx = _smallest_stable(dist, min(n_g, self.k + extra)).cpu().numpy()
        if self.junk == "same-camera" and extra:
            lab = self.labels
            junk = (lab.g_pids[idx] == lab.q_pids[rows, None]) & (
                lab.g_camids[idx] == lab.q_camids[rows, None]
            )
            order = np.argsort(junk, axis=1, kind="stable")  # kept items first, rank order preserved
            idx = np.where(np.take_along_axis(junk, order, 1), -1, np.take_along_axis(idx, order, 1))
        width = min(self.k, idx.shape[1])
        self.out[rows, :width] = idx[:, :width]


def _smallest_stable(dist: torch.Tensor, k: int) -> torch.Tensor:
    """First ``k`` columns of each row's stable ascending argsort. One ``topk`` of ``k + 1``: a row
    whose ``k``-th and ``(k+1)``-th values differ has no tie across the cut, so its ``k`` smallest are
    exact and only need ordering by (value, index); the rare rows with a tie at the cut go through
    :func:`harness.metrics.topk.smallest_k_stable`."""
    import torch

    from harness.metrics.topk import smallest_k_stable

    n = dist.shape[1]
    vals, idx = torch.topk(dist, min(n, k + 1), dim=1, largest=False, sorted=True)
    idx = idx[:, :k]
    if vals.shape[1] > k:
        fix = torch.nonzero(vals[:, k] == vals[:, k - 1]).flatten()
        if len(fix):
            idx[fix] = smallest_k_stable(dist[fix], k)
    idx = torch.sort(idx, dim=1).values
    order = torch.sort(dist.gather(1, idx), dim=1, stable=True).indices
    return idx.gather(1, order)


def topk_reference(distmat: np.ndarray, labels: Labels, k: int, junk: str) -> np.ndarray:
    """The first ``k`` gallery indices of each query's junk-filtered stable ranking (plain NumPy)."""
    out = np.full((distmat.shape[0], k), -1, dtype=np.int32)
    for i, row in enumerate(np.asarray(distmat)):
        order = np.argsort(row, kind="stable")
        if junk == "same-camera":
            same = (labels.g_pids[order] == labels.q_pids[i]) & (labels.g_camids[order] == labels.q_camids[i])
            order = order[~same]
        out[i, : min(k, len(order))] = order[:k]
    return out
