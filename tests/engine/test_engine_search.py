"""Chunked top-k search equals a full sort of the dense distance matrix."""

from __future__ import annotations

import numpy as np
import pytest

from harness.engine.search import topk_search
from harness.errors import MetricError
from harness.metrics.distance import pairwise_distances


@pytest.mark.parametrize("distance", ["cosine", "euclidean", "sqeuclidean"])
@pytest.mark.parametrize(("query_chunk", "gallery_chunk"), [(7, 5), (64, 1000), (1, 3)])
def test_matches_dense_sort(distance: str, query_chunk: int, gallery_chunk: int) -> None:
    rng = np.random.default_rng(0)
    q = rng.normal(size=(23, 16)).astype(np.float32)
    g = rng.normal(size=(41, 16)).astype(np.float32)
    dense = pairwise_distances(q, g, distance=distance)
    d, i = topk_search(q, g, 10, distance=distance, query_chunk=query_chunk, gallery_chunk=gallery_chunk)
    expected = np.argsort(dense, axis=1, kind="stable")[:, :10]
    assert np.array_equal(i, expected)
    assert np.allclose(d, np.take_along_axis(dense, expected, 1), atol=1e-5)


def test_ties_are_ordered_by_index_and_k_is_capped() -> None:
    g = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 0.0]], dtype=np.float32)
    d, i = topk_search(np.array([[1.0, 0.0]], np.float32), g, 10, gallery_chunk=2)
    assert i.tolist() == [[0, 2, 3, 1]] and d.shape == (1, 4)
    with pytest.raises(MetricError, match="k: expected a positive integer"):
        topk_search(g, g, 0)
