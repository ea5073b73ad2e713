"""k-reciprocal re-ranking: memory-bounded implementation against the plain dense reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.errors import MetricError
from harness.metrics import evaluate_distances, evaluate_features
from harness.metrics.rerank import (
    DenseProvider,
    FeatureProvider,
    KReciprocalReranker,
    RerankParams,
    rerank_dense,
    rerank_features,
)


def _data(seed, n_q=25, n_g=160, dim=8, n_ids=15, dup=0):
    rng = np.random.default_rng(seed)
    ids = rng.integers(0, n_ids, n_q + n_g)
    x = rng.normal(size=(n_ids, dim))[ids] + 0.8 * rng.normal(size=(n_q + n_g, dim))
    if dup:
        x[n_q : n_q + dup] = x[n_q + dup : n_q + 2 * dup]  # duplicated gallery features
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    d = np.sqrt(np.maximum(((x[:, None] - x[None]) ** 2).sum(-1), 0))
    d = (d + d.T) / 2
    np.fill_diagonal(d, 0)
    return x, d, ids, n_q


def _sparse(d, n_q, params, chunk):
    sq = torch.from_numpy(np.power(d, 2).astype(np.float32))
    return KReciprocalReranker(DenseProvider(sq), n_q, params, chunk_size=chunk).full()


@pytest.mark.parametrize(
    ("k1", "k2", "lam", "chunk", "dup"),
    [(20, 6, 0.3, 37, 0), (5, 1, 0.3, 64, 0), (7, 3, 0.5, 11, 0), (20, 6, 0.3, 50, 10), (3, 2, 0.0, 200, 4)],
)
def test_sparse_equals_dense_reference(k1, k2, lam, chunk, dup):
    _, d, _, n_q = _data(k1 + k2, dup=dup)
    ref = rerank_dense(d[:n_q, n_q:], d[:n_q, :n_q], d[n_q:, n_q:], k1=k1, k2=k2, lambda_value=lam)
    out = _sparse(d, n_q, RerankParams(k1, k2, lam), chunk)
    assert out.shape == ref.shape
    np.testing.assert_allclose(out, ref, atol=2e-6)


def test_lambda_one_is_row_normalised_squared_distance():
    _, d, _, n_q = _data(3)
    sq = np.power(d, 2)
    expected = (sq / sq.max(axis=1, keepdims=True))[:n_q, n_q:]
    ref = rerank_dense(d[:n_q, n_q:], d[:n_q, :n_q], d[n_q:, n_q:], lambda_value=1.0)
    np.testing.assert_allclose(ref, expected, rtol=1e-6)
    np.testing.assert_allclose(_sparse(d, n_q, RerankParams(lambda_value=1.0), 16), expected, rtol=1e-6)


def test_identical_items_have_zero_jaccard():
    # a query duplicated in the gallery shares its whole neighbourhood: jaccard 0, final = lambda * 0
    _, d, _, n_q = _data(4, dup=0)
    d2 = d.copy()
    n = len(d)
    # make gallery item n_q identical to query 0
    d2[n_q, :] = d2[0, :]
    d2[:, n_q] = d2[:, 0]
    d2[0, n_q] = d2[n_q, 0] = 0.0
    d2[n_q, n_q] = 0.0
    ref = rerank_dense(d2[:n_q, n_q:], d2[:n_q, :n_q], d2[n_q:, n_q:], lambda_value=0.0)
    assert ref[0, 0] == pytest.approx(0.0, abs=1e-6)
    assert n == len(d2)


def test_features_path_and_evaluation_agree():
    x, d, ids, n_q = _data(5)
    q, g = x[:n_q].astype(np.float32), x[n_q:].astype(np.float32)
    ref = rerank_dense(d[:n_q, n_q:], d[:n_q, :n_q], d[n_q:, n_q:])
    np.testing.assert_allclose(rerank_features(q, g, chunk_size=40), ref, atol=1e-5)
    qp, gp = ids[:n_q], ids[n_q:]
    via_features = evaluate_features(q, g, qp, gp, junk="none", rerank=True, chunk_size=9)
    via_matrix = evaluate_distances(ref, qp, gp, junk="none", implementation="reference")
    np.testing.assert_array_equal(via_features.cmc, via_matrix.cmc)
    assert via_features.mAP == pytest.approx(via_matrix.mAP, abs=1e-6)
    assert via_features.conventions["rerank"]["k1"] == 20
    dense = evaluate_distances(
        d[:n_q, n_q:],
        qp,
        gp,
        junk="none",
        rerank={"k1": 20, "k2": 6},
        distmat_qq=d[:n_q, :n_q],
        distmat_gg=d[n_q:, n_q:],
    )
    assert dense.mAP == pytest.approx(via_matrix.mAP, abs=1e-6)


def test_bad_rerank_arguments():
    with pytest.raises(MetricError, match="unknown keys"):
        RerankParams.from_arg({"k": 3})
    with pytest.raises(MetricError, match="lambda_value"):
        RerankParams.from_arg({"lambda_value": 2.0})
    with pytest.raises(MetricError, match="distmat_qq"):
        evaluate_distances(np.zeros((2, 3)), [1, 2], [1, 2, 3], junk="none", rerank=True)


@pytest.mark.parametrize("dup", [0, 30])
def test_neighbour_search_equals_stable_sort_of_the_normalised_rows(dup, monkeypatch):
    # the candidate shortcut (topk of the shifted rows, then an exact redo of tied rows) gives exactly
    # the first kk columns of a stable argsort of the row-normalised squared distances
    x, _, _, n_q = _data(11, n_q=20, n_g=140, dim=6, dup=dup)
    x = torch.from_numpy(x.astype(np.float32))
    x[5:20] = x[40]  # 16 exact duplicates: ties at distance 0 across the candidate boundary
    import harness.metrics.topk as topk

    redone = []
    exact = topk.smallest_k_stable
    monkeypatch.setattr(topk, "smallest_k_stable", lambda v, k: redone.append(len(v)) or exact(v, k))
    prov = FeatureProvider(x)
    rr = KReciprocalReranker(prov, n_q, RerankParams(k1=7, k2=3), chunk_size=13)
    assert sum(redone) >= 15  # the tied rows took the exact path
    full = torch.cat([prov.shifted_rows(r, r + 1) for r in range(prov.n)])
    full = (full + prov.row_offsets(0, prov.n)[:, None]).clamp_(min=0)
    full = full / full.max(1, keepdim=True).values
    expected = torch.sort(full, dim=1, stable=True).indices[:, : rr.kk]
    assert torch.equal(rr.nn, expected)


def test_feature_provider_distances_are_squared_euclidean():
    rng = np.random.default_rng(2)
    x = torch.from_numpy(rng.normal(size=(30, 5)).astype(np.float32))
    prov = FeatureProvider(x)
    want = torch.cdist(x.double(), x.double()).pow(2)
    rows = (prov.shifted_rows(0, 30) + prov.row_offsets(0, 30)[:, None]).clamp(min=0)
    assert torch.allclose(rows.double(), want, atol=1e-5)
    i, j = torch.tensor([0, 3, 29]), torch.tensor([1, 3, 7])
    assert torch.allclose(prov.pair_distances(i, j).double(), want[i, j], atol=1e-5)
    assert torch.allclose(prov.shifted_rows(2, 4, 10), prov.shifted_rows(2, 4)[:, 10:])


def test_query_rows_kept_or_recomputed_give_the_same_result(monkeypatch):
    x, d, _, n_q = _data(8)
    q, g = x[:n_q].astype(np.float32), x[n_q:].astype(np.float32)
    kept = rerank_features(q, g, chunk_size=16)
    monkeypatch.setattr(KReciprocalReranker, "QUERY_ROWS_BYTES", 0)  # MSMT17-scale path: recompute
    recomputed = rerank_features(q, g, chunk_size=16)
    np.testing.assert_array_equal(kept, recomputed)
    ref = rerank_dense(d[:n_q, n_q:], d[:n_q, :n_q], d[n_q:, n_q:])
    np.testing.assert_allclose(recomputed, ref, atol=1e-5)


@pytest.mark.parametrize("n", [256, 257, 300])  # whole chunks, one extra column, a partial chunk
def test_smallest_k_by_chunks_equals_topk_values(n):
    from harness.metrics.topk import smallest_k_by_chunks

    g = torch.Generator().manual_seed(n)
    x = torch.randn(40, n, generator=g)
    x[:10] = torch.randint(0, 5, (10, n), generator=g).float()  # heavy ties at the k-th value
    x[10:20, -3:] = -10.0  # the smallest entries in the last (possibly partial) chunk
    vals, idx = smallest_k_by_chunks(x, 8, chunk=4)  # 64+ whole chunks: the chunked path
    want = torch.topk(x, 8, dim=1, largest=False).values
    assert torch.equal(torch.sort(vals, 1).values, torch.sort(want, 1).values)
    assert torch.equal(x.gather(1, idx), vals)
    assert (idx < n).all() and all(len(set(r.tolist())) == 8 for r in idx)  # real, distinct columns


def test_rerank_with_chunked_neighbour_search_equals_dense(monkeypatch):
    import harness.metrics.topk as topk

    monkeypatch.setattr(topk, "CHUNK_ENTRIES", 1)  # every test-sized row takes the chunked path
    x, d, _, n_q = _data(5, n_q=30, n_g=250, dup=12)  # 280 columns: 280 chunks >= 8 x 32
    q, g = x[:n_q].astype(np.float32), x[n_q:].astype(np.float32)
    got = rerank_features(q, g, chunk_size=16)
    ref = rerank_dense(d[:n_q, n_q:], d[:n_q, :n_q], d[n_q:, n_q:])
    np.testing.assert_allclose(got, ref, atol=1e-5)


def test_blocks_spread_over_threads_give_the_one_thread_result(monkeypatch):
    # sets and expansion run their row blocks on T Python threads when torch has T > 1 threads
    x, d, _, n_q = _data(9, n_q=30, n_g=200, dup=6)
    q, g = x[:n_q].astype(np.float32), x[n_q:].astype(np.float32)
    monkeypatch.setattr(KReciprocalReranker, "SET_ROWS", 16)  # 15 blocks
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = rerank_features(q, g, chunk_size=16)
        torch.set_num_threads(2)
        two = rerank_features(q, g, chunk_size=16)
        assert torch.get_num_threads() == 2  # restored after the threaded stages
    finally:
        torch.set_num_threads(threads)
    np.testing.assert_array_equal(one, two)
    np.testing.assert_allclose(two, rerank_dense(d[:n_q, n_q:], d[:n_q, :n_q], d[n_q:, n_q:]), atol=1e-5)


def test_map_blocks_keeps_block_order_and_restores_threads():
    from harness.metrics.rerank import map_blocks

    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        seen = map_blocks(lambda r0, r1: (r0, r1, torch.get_num_threads()), 10, 3, "cpu")
        assert [s[:2] for s in seen] == [(0, 3), (3, 6), (6, 9), (9, 10)]
        assert {s[2] for s in seen} == {1}  # one intra-op thread per block's Python thread
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(threads)


def test_pipelined_rows_stay_valid_until_the_block_after_next():
    # with 2 threads the next block is computed while the caller holds the current one
    x, _, _, n_q = _data(4, n_q=40, n_g=120)
    rr = KReciprocalReranker.from_features(
        torch.from_numpy(x[:n_q].astype(np.float32)),
        torch.from_numpy(x[n_q:].astype(np.float32)),
        RerankParams(),
        normalize=True,
        chunk_size=8,
    )
    expected = {r0: rr.rows(r0, min(n_q, r0 + 8)).clone() for r0 in range(0, n_q, 8)}
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        previous = None
        for r0, block in rr.iter_rows(8):
            assert torch.equal(block, expected[r0])
            if previous is not None:  # still intact now that the next block was asked for
                assert torch.equal(previous[1], expected[previous[0]])
            previous = (r0, block)
    finally:
        torch.set_num_threads(threads)
