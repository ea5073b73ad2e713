"""Randomised equality of the fast torch evaluator and the plain per-query NumPy reference."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.errors import MetricError
from harness.metrics import evaluate_distances, evaluate_features
from harness.metrics import fast as fast_mod


def assert_same_metrics(fast, ref):
    np.testing.assert_array_equal(fast.cmc, ref.cmc)
    assert abs(fast.mAP - ref.mAP) <= 1e-6
    assert abs(fast.mINP - ref.mINP) <= 1e-6
    assert (fast.n_query, fast.n_valid_query) == (ref.n_query, ref.n_valid_query)
    np.testing.assert_allclose(fast.query_ap, ref.query_ap, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(fast.query_inp, ref.query_inp, atol=1e-9, equal_nan=True)


def _run_both(d, qp, gp, qc, gc, **kw):
    out = []
    for impl in ("fast", "reference"):
        try:
            out.append(evaluate_distances(d, qp, gp, qc, gc, implementation=impl, **kw))
        except MetricError as exc:
            out.append(type(exc))
    return out


@st.composite
def problems(draw):
    n_q = draw(st.integers(1, 7))
    n_g = draw(st.integers(1, 40))
    n_ids = draw(st.integers(1, 8))
    n_cams = draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    tied = draw(st.booleans())
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    d = rng.integers(0, 4, (n_q, n_g)) / 4.0 if tied else rng.normal(size=(n_q, n_g))
    d = d.astype(dtype)
    qp = rng.integers(0, n_ids + 1, n_q)  # id n_ids never occurs in the gallery draw below... sometimes
    gp = rng.integers(0, n_ids, n_g)
    qc = rng.integers(0, n_cams, n_q)
    gc = rng.integers(0, n_cams, n_g)
    kw = dict(
        max_rank=draw(st.integers(1, 50)),
        junk=draw(st.sampled_from(["same-camera", "none"])),
        ap=draw(st.sampled_from(["step", "trapezoid"])),
        denominator=draw(st.sampled_from(["valid", "all"])),
        chunk_size=draw(st.integers(1, 8)),
    )
    return d, qp, gp, qc, gc, kw


@pytest.mark.parametrize("route", [0.0, 1.0], ids=["dense-route", "compact-route"])
@pytest.mark.parametrize("cells", [1, 3, 2048])
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(problem=problems())
def test_fast_equals_reference(problem, cells, route, monkeypatch):
    monkeypatch.setattr(fast_mod, "CELLS", cells)
    monkeypatch.setattr(fast_mod, "DENSE_FRACTION", route)
    d, qp, gp, qc, gc, kw = problem
    fast, ref = _run_both(d, qp, gp, qc, gc, **kw)
    if isinstance(ref, type):
        assert fast is ref  # both refuse (no valid query)
        return
    assert_same_metrics(fast, ref)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), repeats=st.integers(1, 6), max_rank=st.integers(1, 20))
def test_sgs_fast_equals_reference(seed, repeats, max_rank):
    rng = np.random.default_rng(seed)
    d = rng.integers(0, 5, (5, 25)) / 5.0
    qp, gp = rng.integers(0, 5, 5), rng.integers(0, 5, 25)
    qc, gc = rng.integers(0, 2, 5), rng.integers(0, 2, 25)
    kw = dict(protocol="cuhk03-sgs", sgs_repeats=repeats, seed=seed, max_rank=max_rank, chunk_size=2)
    fast, ref = _run_both(d, qp, gp, qc, gc, **kw)
    if isinstance(ref, type):
        assert fast is ref
        return
    assert_same_metrics(fast, ref)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("distance", ["cosine", "euclidean", "sqeuclidean"])
def test_features_with_duplicates(dtype, distance):
    rng = np.random.default_rng(1)
    base = rng.integers(-2, 3, (30, 6)).astype(dtype)
    g = np.concatenate([base, base[:10]])  # duplicated gallery features -> exact ties
    q = np.concatenate([base[:5], rng.integers(-2, 3, (7, 6)).astype(dtype)])
    g[np.abs(g).sum(1) == 0] = 1  # no zero vectors (cosine of zero is undefined)
    q[np.abs(q).sum(1) == 0] = 1
    gp = rng.integers(0, 6, len(g))
    qp = rng.integers(0, 6, len(q))
    gc, qc = rng.integers(0, 3, len(g)), rng.integers(0, 3, len(q))
    for normalize in (True, False):
        kw = dict(distance=distance, normalize=normalize, max_rank=20, chunk_size=5)
        fast = evaluate_features(q, g, qp, gp, qc, gc, **kw)
        ref = evaluate_features(q, g, qp, gp, qc, gc, implementation="reference", **kw)
        assert_same_metrics(fast, ref)


def test_feature_streaming_matches_distance_matrix():
    from harness.metrics.distance import pairwise_distances

    rng = np.random.default_rng(2)
    q, g = rng.normal(size=(40, 16)), rng.normal(size=(300, 16))
    qp, gp = rng.integers(0, 20, 40), rng.integers(0, 20, 300)
    qc, gc = rng.integers(0, 4, 40), rng.integers(0, 4, 300)
    streamed = evaluate_features(q, g, qp, gp, qc, gc, chunk_size=7)
    dm = pairwise_distances(q, g, distance="cosine")
    ref = evaluate_distances(dm, qp, gp, qc, gc, implementation="reference")
    assert_same_metrics(streamed, ref)


@pytest.mark.parametrize("route", [0.0, 1.0], ids=["dense-route", "compact-route"])
def test_infinite_distances(route, monkeypatch):
    monkeypatch.setattr(fast_mod, "DENSE_FRACTION", route)
    inf = np.inf
    d = np.array(
        [[inf, 0.2, -inf, inf, 0.5, 0.5], [0.3, inf, 0.1, 0.3, -inf, 0.3], [0.1, 0.1, 0.1, 0.1, 0.1, 0.1]]
    )
    qp, gp = [1, 2, 1], [1, 2, 3, 1, 2, 1]
    fast = evaluate_distances(d, qp, gp, junk="none", max_rank=6)
    ref = evaluate_distances(d, qp, gp, junk="none", max_rank=6, implementation="reference")
    assert_same_metrics(fast, ref)


def test_feature_streaming_is_blocked(monkeypatch):
    """The evaluator only ever sees chunk_size x G blocks (the Q x G matrix is never built)."""
    seen = []
    original = fast_mod.FastEvaluator.process

    def spy(self, dist, row0):
        seen.append(tuple(dist.shape))
        return original(self, dist, row0)

    monkeypatch.setattr(fast_mod.FastEvaluator, "process", spy)
    rng = np.random.default_rng(3)
    q, g = rng.normal(size=(23, 8)).astype(np.float32), rng.normal(size=(50, 8)).astype(np.float32)
    qp, gp = rng.integers(0, 5, 23), rng.integers(0, 5, 50)
    r = evaluate_features(q, g, qp, gp, junk="none", chunk_size=5)
    assert seen == [(5, 50)] * 4 + [(3, 50)]
    assert r.conventions["chunk_size"] == 5
