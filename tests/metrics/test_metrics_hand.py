"""Hand-computed cases for every metric and convention (both implementations)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from harness.errors import MetricError
from harness.metrics import RetrievalResult, evaluate_distances, evaluate_features
from harness.metrics.cuhk03 import draw_keys

IMPLS = ["fast", "reference"]

# one query (pid 1, camera 0); gallery sorted by distance:
# 0.1 pid2 c1 (neg) | 0.2 pid1 c0 (junk) | 0.3 pid1 c1 (pos) | 0.4 pid3 c1 (neg) | 0.5 pid1 c2 (pos)
D1 = np.array([[0.1, 0.2, 0.3, 0.4, 0.5]])
GP1 = [2, 1, 1, 3, 1]
GC1 = [1, 0, 1, 1, 2]


@pytest.mark.parametrize("impl", IMPLS)
def test_market_step_ap_cmc_minp(impl):
    r = evaluate_distances(D1, [1], GP1, [0], GC1, max_rank=5, implementation=impl)
    # filtered ranking: neg, pos, neg, pos -> hits at ranks 2 and 4
    np.testing.assert_array_equal(r.cmc, [0, 1, 1, 1, 1])
    assert r.mAP == pytest.approx((1 / 2 + 2 / 4) / 2)
    assert r.mINP == pytest.approx(2 / 4)
    assert (r.n_query, r.n_valid_query) == (1, 1)


@pytest.mark.parametrize("impl", IMPLS)
def test_trapezoid_ap(impl):
    r = evaluate_distances(D1, [1], GP1, [0], GC1, max_rank=5, ap="trapezoid", implementation=impl)
    # hit 1 at rank 2: (0/1 + 1/2)/2 ; hit 2 at rank 4: (1/3 + 2/4)/2
    assert r.mAP == pytest.approx(((0 + 1 / 2) / 2 + (1 / 3 + 1 / 2) / 2) / 2)
    r1 = evaluate_distances(
        [[0.1, 0.2]], [1], [1, 2], [0], [1, 1], max_rank=2, ap="trapezoid", implementation=impl
    )
    assert r1.mAP == pytest.approx(1.0)  # precision "before rank 1" is 1 by convention


@pytest.mark.parametrize("impl", IMPLS)
def test_junk_none_counts_every_positive(impl):
    r = evaluate_distances(D1, [1], GP1, junk="none", max_rank=5, implementation=impl)
    # ranking: neg, pos, pos, neg, pos -> hits at 2, 3, 5
    np.testing.assert_array_equal(r.cmc, [0, 1, 1, 1, 1])
    assert r.mAP == pytest.approx((1 / 2 + 2 / 3 + 3 / 5) / 3)
    assert r.mINP == pytest.approx(3 / 5)
    assert r.conventions["junk"] == "none"


@pytest.mark.parametrize("impl", IMPLS)
def test_query_without_positive_is_skipped_or_zero(impl):
    d = np.vstack([D1, [[0.5, 0.4, 0.3, 0.2, 0.1]]])
    r = evaluate_distances(d, [1, 9], GP1, [0, 0], GC1, max_rank=5, implementation=impl)
    assert (r.n_query, r.n_valid_query) == (2, 1)
    assert r.mAP == pytest.approx(0.5)
    assert np.isnan(r.query_ap[1])
    r_all = evaluate_distances(
        d, [1, 9], GP1, [0, 0], GC1, max_rank=5, denominator="all", implementation=impl
    )
    assert r_all.mAP == pytest.approx(0.25)
    assert r_all.mINP == pytest.approx(0.25)
    np.testing.assert_allclose(r_all.cmc, [0, 0.5, 0.5, 0.5, 0.5])


@pytest.mark.parametrize("impl", IMPLS)
def test_all_junk_query_skipped_and_no_valid_query_errors(impl):
    # the only pid-1 gallery item shares the query's camera
    with pytest.raises(MetricError, match="share its camera"):
        evaluate_distances([[0.1, 0.2]], [1], [1, 2], [0], [0, 0], implementation=impl)
    with pytest.raises(MetricError, match="no query's pid occurs in the gallery"):
        evaluate_distances([[0.1, 0.2]], [7], [1, 2], [0], [1, 1], implementation=impl)


@pytest.mark.parametrize("impl", IMPLS)
def test_ties_rank_lower_gallery_index_first(impl):
    r = evaluate_distances([[0.5, 0.5]], [1], [1, 2], junk="none", max_rank=2, implementation=impl)
    assert r.mAP == 1.0 and r.cmc[0] == 1.0
    r = evaluate_distances([[0.5, 0.5]], [1], [2, 1], junk="none", max_rank=2, implementation=impl)
    assert r.mAP == 0.5 and r.cmc[0] == 0.0 and r.mINP == 0.5
    # all-equal row: positives at gallery indices 3 and 7 rank 4th and 8th
    gp = [0, 0, 0, 1, 0, 0, 0, 1, 0, 0]
    r = evaluate_distances(np.zeros((1, 10)), [1], gp, junk="none", max_rank=10, implementation=impl)
    assert r.mAP == pytest.approx((1 / 4 + 2 / 8) / 2)
    assert r.mINP == pytest.approx(2 / 8)


@pytest.mark.parametrize("impl", IMPLS)
def test_first_hit_beyond_max_rank_is_a_counted_miss(impl):
    r = evaluate_distances(
        [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], [1, 1], [2, 3, 1], junk="none", max_rank=2, implementation=impl
    )
    np.testing.assert_array_equal(r.cmc, [0.5, 0.5])
    assert r.n_valid_query == 2
    assert r.mAP == pytest.approx((1 / 3 + 1) / 2)


@pytest.mark.parametrize("impl", IMPLS)
def test_gallery_smaller_than_max_rank(impl):
    r = evaluate_distances([[0.3, 0.1, 0.2]], [1], [1, 2, 3], junk="none", max_rank=6, implementation=impl)
    assert len(r.cmc) == 6
    np.testing.assert_array_equal(r.cmc, [0, 0, 1, 1, 1, 1])


@pytest.mark.parametrize("impl", IMPLS)
def test_float64_precision_is_kept(impl):
    # torchreid's Cython casts to float32 and would call this a tie (AP 1.0); we keep float64
    d = np.array([[1 + 1e-9, 1.0]])
    r = evaluate_distances(d, [1], [1, 2], junk="none", max_rank=2, implementation=impl)
    assert r.mAP == 0.5


@pytest.mark.parametrize("impl", IMPLS)
def test_cuhk03_single_gallery_shot(impl):
    # query pid1 c0; gallery: pid2 @0.1, pid1 c1 @0.3, pid2 @0.9. Drawn pid-2 item is ahead half the time.
    d = np.array([[0.1, 0.3, 0.9]])
    kw = dict(max_rank=3, protocol="cuhk03-sgs", sgs_repeats=50, seed=3, implementation=impl)
    r = evaluate_distances(d, [1], [2, 1, 2], [0], [1, 1, 1], **kw)
    keys = draw_keys(3, 0, 50, 3)
    expected_r1 = float(np.mean(keys[:, 2] < keys[:, 0]))  # the 0.9 item drawn -> the positive is first
    assert r.cmc[0] == pytest.approx(expected_r1)
    assert r.cmc[1] == 1.0
    assert r.mAP == pytest.approx(0.5)  # AP from the full list, not the sampled one
    assert r.conventions["sgs"] == {"repeats": 50, "seed": 3}
    again = evaluate_distances(d, [1], [2, 1, 2], [0], [1, 1, 1], **kw)
    np.testing.assert_array_equal(r.cmc, again.cmc)


@pytest.mark.parametrize("impl", IMPLS)
def test_cuhk03_one_image_per_id_equals_market(impl):
    rng = np.random.default_rng(0)
    d = rng.random((6, 8))
    gp = np.arange(8)
    qp = np.array([0, 1, 2, 3, 4, 5])
    m = evaluate_distances(d, qp, gp, junk="none", max_rank=8, implementation=impl)
    s = evaluate_distances(d, qp, gp, junk="none", max_rank=8, protocol="cuhk03-sgs", implementation=impl)
    np.testing.assert_allclose(m.cmc, s.cmc)


@pytest.mark.parametrize("impl", IMPLS)
def test_features_distances(impl):
    q = np.array([[2.0, 0.0]])
    g = np.array([[1.0, 0.0], [0.0, 3.0], [-1.0, 0.0]])
    # cosine: 0, 1, 2 -> positive (pid 1 at index 1) second
    r = evaluate_features(q, g, [1], [0, 1, 2], junk="none", max_rank=3, implementation=impl)
    assert r.mAP == 0.5
    assert r.conventions["distance"] == "cosine" and r.conventions["normalize"] is True
    # un-normalised squared euclidean: 1, 13, 9 -> positive last
    r = evaluate_features(
        q,
        g,
        [1],
        [0, 1, 2],
        junk="none",
        max_rank=3,
        distance="sqeuclidean",
        normalize=False,
        implementation=impl,
    )
    assert r.mAP == pytest.approx(1 / 3)
    r = evaluate_features(
        q,
        g,
        [1],
        [0, 1, 2],
        junk="none",
        max_rank=3,
        distance="euclidean",
        normalize=True,
        implementation=impl,
    )
    assert r.mAP == 0.5


def test_result_dict_and_conventions_are_json():
    r = evaluate_distances(D1, [1], GP1, [0], GC1, max_rank=10)
    d = r.to_dict()
    assert set(d) == {"R1", "R5", "R10", "mAP", "mINP", "cmc", "n_query", "n_valid_query"}
    assert d["R1"] == 0.0 and d["R5"] == 1.0 and len(d["cmc"]) == 10
    json.loads(r.to_json())
    for key in ("junk", "distance", "normalize", "tie_policy", "ap", "rerank", "max_rank", "chunk_size"):
        assert key in r.conventions
    assert isinstance(r, RetrievalResult)
    small = evaluate_distances(D1, [1], GP1, [0], GC1, max_rank=3).to_dict()
    assert "R5" not in small and "R1" in small


def test_torch_input_and_bad_inputs():
    import torch

    r = evaluate_distances(
        torch.tensor(D1),
        torch.tensor([1]),
        torch.tensor(GP1),
        torch.tensor([0]),
        torch.tensor(GC1),
        max_rank=5,
    )
    assert r.mAP == pytest.approx(0.5)
    with pytest.raises(MetricError, match="q_camids/g_camids"):
        evaluate_distances(D1, [1], GP1)
    with pytest.raises(MetricError, match="g_pids"):
        evaluate_distances(D1, [1], GP1[:3], [0], GC1)
    with pytest.raises(MetricError, match="distmat"):
        evaluate_distances(np.zeros(5), [1], GP1, [0], GC1)
    with pytest.raises(MetricError, match="NaN"):
        evaluate_distances(np.array([[np.nan, 0.1, 0.2, 0.3, 0.4]]), [1], GP1, [0], GC1)
    with pytest.raises(MetricError, match="junk"):
        evaluate_distances(D1, [1], GP1, [0], GC1, junk="same-cam")
    with pytest.raises(MetricError, match="max_rank"):
        evaluate_distances(D1, [1], GP1, [0], GC1, max_rank=0)
    with pytest.raises(MetricError, match="distance"):
        evaluate_features(np.ones((1, 2)), np.ones((5, 2)), [1], GP1, [0], GC1, distance="manhattan")


def test_import_is_light():
    import subprocess
    import sys

    code = "import sys, harness.metrics; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
