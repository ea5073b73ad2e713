"""k-reciprocal re-ranking: memory-bounded implementation against the plain dense reference."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.errors import MetricError
from harness.metrics import evaluate_distances, evaluate_features
from harness.metrics.rerank import (
    DenseProvider,
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
