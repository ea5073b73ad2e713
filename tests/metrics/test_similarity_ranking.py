"""Cosine ranks by similarity (not 1 - s), and duplicated gallery features tie in every block shape."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.metrics import evaluate_distances, evaluate_features, pairwise_distances
from harness.metrics.distance import FeatureDistance, distinct_rows
from harness.metrics.t2i import evaluate_text_to_image


def _pair_that_one_minus_s_merges() -> tuple[np.ndarray, np.ndarray]:
    """A query and two gallery rows whose cosine similarities (as the evaluator computes them, after
    normalisation) are adjacent float32 values near 0.3 that ``1 - s`` rounds to one value (0.7 has
    twice the ulp of 0.3, so every other adjacent pair merges); found by a deterministic scan."""
    q = np.array([[1.0, 0.0, 0.0]], dtype=np.float32)
    t = np.float32(0.3)
    for _ in range(64):
        t2 = np.nextafter(t, np.float32(1.0), dtype=np.float32)
        g = np.zeros((2, 3), dtype=np.float32)
        g[0, :2] = [t, np.sqrt(1 - np.float64(t) ** 2)]
        g[1, [0, 2]] = [t2, np.sqrt(1 - np.float64(t2) ** 2)]
        fd = FeatureDistance(torch.from_numpy(g), "cosine", True)
        s = (torch.from_numpy(q) @ fd.g.t())[0]
        if s[0] < s[1] and (1 - s[0]) == (1 - s[1]):
            return q, g
        t = t2
    raise AssertionError("no merging pair found")


def test_cosine_ranks_by_similarity_where_one_minus_s_merges() -> None:
    """Gallery 0 (a negative) has similarity s and gallery 1 (the positive) the next float32 above
    it. By similarity the positive ranks first: R1 = 1, AP = 1. By the float32 key 1 - s both would
    tie and the tie rule (lower index first) would put the negative first: R1 = 0, AP = 1/2."""
    q, g = _pair_that_one_minus_s_merges()
    r = evaluate_text_to_image(q, g, [1], [0, 1])
    assert r.cmc[0] == 1.0 and r.mAP == 1.0
    d = pairwise_distances(q, g, distance="cosine")  # the public distance matrix stays 1 - s ...
    assert d[0, 0] == d[0, 1]  # ... and ranking that matrix shows the tie the key avoids
    tied = evaluate_distances(d, [1], [0, 1], junk="none", max_rank=2)
    assert tied.cmc[0] == 0.0 and tied.mAP == 0.5


def test_duplicates_get_one_column() -> None:
    g = torch.tensor([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0], [5.0, 6.0], [3.0, 4.0]])
    distinct, inverse = distinct_rows(g)
    assert distinct.shape == (3, 2) and inverse is not None
    assert torch.equal(distinct[inverse], g)
    unique = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert distinct_rows(unique)[1] is None
    # rows equal in the screened leading columns but not after them are not duplicates
    wide = torch.zeros(3, 100)
    wide[1, 99] = 1.0
    wide[2, 70] = -1.0
    assert distinct_rows(wide)[1] is None
    wide[2] = wide[1]
    distinct, inverse = distinct_rows(wide)
    assert len(distinct) == 2 and inverse[1] == inverse[2] != inverse[0]


@pytest.fixture()
def two_threads():
    """Two intra-op threads: the blocked product then rounds duplicates differently from the
    matrix-vector one (with one thread both happen to agree on this machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


@pytest.mark.usefixtures("two_threads")
@pytest.mark.parametrize("distance", ["cosine", "euclidean", "sqeuclidean"])
def test_duplicated_gallery_ties_are_independent_of_chunk_size(distance: str) -> None:
    """Every gallery feature appears three times with three identities; each query's positive is the
    middle copy. Hand rule: exact ties rank the lower gallery index first, so the positive ranks
    second behind the first copy: R1 = 0, R2 = 1, AP = 1/2 for every query, in every block shape."""
    rng = np.random.default_rng(0)
    base = rng.standard_normal((300, 33)).astype(np.float32)
    g = np.concatenate([base, base, base])  # rows i, i + 300, i + 600 are bitwise equal
    g_pids = np.concatenate([np.arange(300), np.arange(300) + 1000, np.arange(300) + 2000])
    q = base[:200] + 0.05 * rng.standard_normal((200, 33)).astype(np.float32)
    q_pids = np.arange(200) + 1000  # each query's positive is the *middle* copy
    # without one column per distinct row, chunk_size 1 (a matrix-vector product) rounds some
    # duplicates differently from the blocked product and mAP moves by ~1e-3 (measured 0.49917)
    results = [
        evaluate_features(q, g, q_pids, g_pids, distance=distance, junk="none", max_rank=5, chunk_size=c)
        for c in (1, 7, 200)
    ]
    for r in results[1:]:
        assert r.mAP == results[0].mAP and np.array_equal(r.cmc, results[0].cmc)
    # hand value: the positive is tied with the copy at the lower index (a negative), so it ranks
    # second whenever the copies are nearest, which they are for this noise level
    fd = FeatureDistance(torch.from_numpy(g), distance, True)
    keys = fd.ranking_block(fd.prepare_queries(torch.from_numpy(q)))
    nearest = keys.argmin(1)
    assert torch.equal(nearest, torch.arange(200))  # the first copy wins the tie
    assert torch.equal(keys[:, :300], keys[:, 300:600]) and torch.equal(keys[:, :300], keys[:, 600:])
    assert results[0].cmc[0] == 0.0 and results[0].cmc[1] == 1.0 and results[0].mAP == 0.5
