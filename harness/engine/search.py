"""Chunked exact top-k search for galleries too large for a dense query x gallery score matrix.

Distances come from :class:`harness.metrics.distance.FeatureDistance` (the metrics' own
conventions: ``cosine`` = ``1 - cos``, ``euclidean``, ``sqeuclidean``; smaller is closer), one
``query_chunk x gallery_chunk`` block at a time; each block's ``k`` best are merged into the running
``k`` best per query. Peak memory is ``query_chunk x (gallery_chunk + 2k)`` distances, whatever the
gallery size, and the result is exact (the same set as a full sort). Results are ordered by
(distance, gallery index); when several gallery items tie at the ``k``-th distance, which of them
is kept is unspecified.

Use it for retrieval lists (e.g. writing ranked results, or re-scoring a top-k with a heavier
model); for CMC/mAP use :func:`harness.metrics.evaluate_features`, which streams blocks itself.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from harness.errors import MetricError


def _order(dist, index):
    """Sort each row by (distance, index) with two stable sorts."""
    import torch

    by_index = torch.argsort(index, dim=1, stable=True)
    dist, index = dist.gather(1, by_index), index.gather(1, by_index)
    by_dist = torch.argsort(dist, dim=1, stable=True)
    return dist.gather(1, by_dist), index.gather(1, by_dist)


def topk_search(
    q_feats: Any,
    g_feats: Any,
    k: int,
    *,
    distance: str = "cosine",
    normalize: bool = True,
    query_chunk: int = 1024,
    gallery_chunk: int = 65536,
    device: str = "cpu",
) -> tuple[np.ndarray, np.ndarray]:
    """``(distances, indices)``, each ``[Q, min(k, G)]``, of the nearest gallery items per query."""
    import torch

    from harness.metrics.distance import FeatureDistance, as_tensor

    if not isinstance(k, int) or k < 1:
        raise MetricError(f"k: expected a positive integer, got {k!r}")
    if query_chunk < 1 or gallery_chunk < 1:
        raise MetricError(f"chunk sizes must be positive, got {query_chunk} and {gallery_chunk}")
    q = as_tensor(q_feats, device, "q_feats")
    g = as_tensor(g_feats, device, "g_feats")
    n_q, n_g = q.shape[0], g.shape[0]
    k = min(k, n_g)
    out_d = np.empty((n_q, k), dtype=np.float32 if g.dtype == torch.float32 else np.float64)
    out_i = np.empty((n_q, k), dtype=np.int64)
    blocks = [
        (s, FeatureDistance(g[s : s + gallery_chunk], distance, normalize))
        for s in range(0, n_g, gallery_chunk)
    ]
    for r0 in range(0, n_q, query_chunk):
        best_d = best_i = None
        for g0, fd in blocks:
            d = fd.block(fd.prepare_queries(q[r0 : r0 + query_chunk]))
            kk = min(k, d.shape[1])
            vals, idx = torch.topk(d, kk, dim=1, largest=False, sorted=False)
            idx = idx + g0
            if best_d is not None:
                vals, idx = torch.cat([best_d, vals], 1), torch.cat([best_i, idx], 1)
                vals, pos = torch.topk(vals, min(k, vals.shape[1]), dim=1, largest=False, sorted=False)
                idx = idx.gather(1, pos)
            best_d, best_i = vals, idx
        best_d, best_i = _order(best_d, best_i)
        out_d[r0 : r0 + len(best_d)] = best_d.cpu().numpy()
        out_i[r0 : r0 + len(best_i)] = best_i.cpu().numpy()
    return out_d, out_i
