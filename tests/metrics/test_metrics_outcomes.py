"""Per-query outcomes (first-hit rank, AP, INP, top-k list) of the fast path against the reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import MetricError
from harness.metrics import evaluate_distances, evaluate_features
from harness.metrics import fast as fast_mod
from harness.metrics.outcomes import query_values


@st.composite
def problems(draw):
    n_q, n_g = draw(st.integers(1, 7)), draw(st.integers(1, 40))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    tied = draw(st.booleans())
    d = rng.integers(0, 4, (n_q, n_g)) / 4.0 if tied else rng.normal(size=(n_q, n_g))
    n_ids, n_cams = draw(st.integers(1, 6)), draw(st.integers(1, 3))
    labels = (
        rng.integers(0, n_ids + 1, n_q),
        rng.integers(0, n_ids, n_g),
        rng.integers(0, n_cams, n_q),
        rng.integers(0, n_cams, n_g),
    )
    kw = dict(
        junk=draw(st.sampled_from(["same-camera", "none"])),
        chunk_size=draw(st.integers(1, 8)),
        topk=draw(st.integers(1, 45)),
        max_rank=draw(st.integers(1, 20)),
    )
    return d, labels, kw


@pytest.mark.parametrize("route", [0.0, 1.0], ids=["dense-route", "compact-route"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems())
def test_outcomes_fast_equal_reference(problem, route, monkeypatch):
    monkeypatch.setattr(fast_mod, "DENSE_FRACTION", route)
    d, labels, kw = problem
    try:
        ref = evaluate_distances(d, *labels, implementation="reference", **kw)
    except MetricError:
        return
    fast = evaluate_distances(d, *labels, **kw)
    a, b = fast.outcomes(), ref.outcomes()
    np.testing.assert_array_equal(a.first_rank, b.first_rank)
    np.testing.assert_array_equal(a.topk, b.topk)
    np.testing.assert_allclose(a.ap, b.ap, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(a.inp, b.inp, atol=1e-9, equal_nan=True)
    # the per-query values average to the reported metrics
    for k in (1, 5, 10):
        if k <= kw["max_rank"]:
            assert query_values(a.first_rank, a.ap, a.inp, f"R{k}").mean() == pytest.approx(fast.rank(k))
    assert query_values(a.first_rank, a.ap, a.inp, "mAP").mean() == pytest.approx(fast.mAP)
    assert query_values(a.first_rank, a.ap, a.inp, "mINP").mean() == pytest.approx(fast.mINP)


def test_hand_case_first_rank_and_junk_filtered_topk():
    # query pid 0 cam 0; by distance: g2 junk (pid 0 cam 0), g0 (pid 1), g1 (pid 0 cam 1)
    d = np.array([[0.2, 0.3, 0.1, 0.9]])
    res = evaluate_distances(d, [0], [1, 0, 0, 2], [0], [1, 1, 0, 1], topk=3, max_rank=3)
    out = res.outcomes()
    assert out.first_rank.tolist() == [2]  # junk g2 removed: g0 (rank 1), g1 (rank 2)
    assert out.topk.tolist() == [[0, 1, 3]]
    assert out.ap.tolist() == [0.5] and out.inp.tolist() == [0.5]
    short = evaluate_distances(d, [0], [1, 0, 0, 2], [0], [1, 1, 0, 1], topk=5, max_rank=3)
    assert short.outcomes().topk.tolist() == [[0, 1, 3, -1, -1]]  # 3 items left after junk


def test_uncounted_query_and_denominators():
    d = np.array([[0.1, 0.2], [0.3, 0.4]])
    res = evaluate_distances(d, [0, 5], [0, 1], [0, 0], [1, 1], topk=2, max_rank=2, denominator="all")
    out = res.outcomes()
    assert out.first_rank.tolist() == [1, 0] and out.valid.tolist() == [True, False]
    assert query_values(out.first_rank, out.ap, out.inp, "R1", "all").tolist() == [1.0, 0.0]
    assert query_values(out.first_rank, out.ap, out.inp, "R1", "valid").tolist() == [1.0]
    assert query_values(out.first_rank, out.ap, out.inp, "mAP", "all").mean() == pytest.approx(res.mAP)
    with pytest.raises(MetricError, match="denominator"):
        query_values(out.first_rank, out.ap, out.inp, "R1", "some")


def test_topk_follows_reranking():
    rng = np.random.default_rng(3)
    q, g = rng.normal(size=(6, 8)), rng.normal(size=(30, 8))
    qp, gp = rng.integers(0, 5, 6), rng.integers(0, 5, 30)
    qc, gc = rng.integers(0, 2, 6), rng.integers(0, 2, 30)
    plain = evaluate_features(q, g, qp, gp, qc, gc, topk=10, max_rank=10)
    rr = evaluate_features(q, g, qp, gp, qc, gc, topk=10, max_rank=10, rerank={"k1": 5, "k2": 3})
    assert plain.query_topk.shape == rr.query_topk.shape == (6, 10)
    # each list's first positive sits at the reported first-hit rank
    for res in (plain, rr):
        for i, (row, fr) in enumerate(zip(res.query_topk, res.query_first_rank, strict=True)):
            hits = [j for j, gi in enumerate(row) if gi >= 0 and gp[gi] == qp[i]]
            if fr and fr <= 10:
                assert hits[0] + 1 == fr


def test_topk_must_be_positive():
    with pytest.raises(MetricError, match="topk"):
        evaluate_distances(np.zeros((1, 2)), [0], [0, 1], [0], [1, 1], topk=0)


@pytest.mark.parametrize("k", [1, 3, 7, 20])
def test_smallest_stable_equals_a_stable_argsort(k):
    import torch

    from harness.metrics.outcomes import _smallest_stable

    rng = np.random.default_rng(k)
    x = rng.integers(0, 5, (50, 20)).astype(np.float32)  # many ties, at and across the cut
    x[0] = 1.0  # a row of equal values
    got = _smallest_stable(torch.from_numpy(x), min(k, 20)).numpy()
    np.testing.assert_array_equal(got, np.argsort(x, axis=1, kind="stable")[:, : min(k, 20)])
