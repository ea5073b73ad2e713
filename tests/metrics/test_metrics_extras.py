"""Average query expansion, multi-trial aggregation and the text-to-image helper."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.errors import MetricError
from harness.metrics import evaluate_features
from harness.metrics.aqe import AQEParams, aqe_dense, average_query_expansion
from harness.metrics.t2i import evaluate_text_to_image
from harness.metrics.trials import aggregate_trials, evaluate_trials, mean_std


@pytest.mark.parametrize(("times", "k", "alpha"), [(1, 5, 3.0), (2, 3, 1.0), (1, 1, 3.0)])
def test_aqe_chunked_equals_dense(times, k, alpha):
    rng = np.random.default_rng(times + k)
    q, g = rng.normal(size=(13, 6)), rng.normal(size=(40, 6))
    eq, eg = average_query_expansion(
        torch.from_numpy(q), torch.from_numpy(g), qe_times=times, qe_k=k, alpha=alpha, chunk_size=7
    )
    rq, rg = aqe_dense(q, g, qe_times=times, qe_k=k, alpha=alpha)
    np.testing.assert_allclose(eq.numpy(), rq, atol=1e-10)
    np.testing.assert_allclose(eg.numpy(), rg, atol=1e-10)


def test_aqe_hand_computed():
    # two identical unit vectors and one orthogonal: with k=2 each of the pair averages itself and its twin
    q = np.array([[1.0, 0.0]])
    g = np.array([[1.0, 0.0], [0.0, 2.0]])
    eq, eg = average_query_expansion(torch.from_numpy(q), torch.from_numpy(g), qe_k=2, alpha=3.0)
    np.testing.assert_allclose(eq.numpy(), [[1.0, 0.0]])
    # third item: neighbours are itself (sim 1) and item 0 (sim 0, lower index wins the tie) -> mean
    np.testing.assert_allclose(eg.numpy()[1], [0.0, 1.0])
    r = evaluate_features(q, g, [1], [1, 2], junk="none", aqe={"qe_k": 2}, max_rank=2)
    assert r.conventions["aqe"]["qe_k"] == 2 and r.mAP == 1.0
    with pytest.raises(MetricError, match="aqe"):
        AQEParams.from_arg({"k": 1})


def test_aggregate_trials_hand_computed():
    s = aggregate_trials(
        [
            {"R1": 0.5, "R5": 1.0, "mAP": 0.4, "mINP": 0.2, "cmc": [0.5, 1.0]},
            {"R1": 1.0, "R5": 1.0, "mAP": 0.8, "mINP": 0.4, "cmc": [1.0, 1.0]},
        ]
    )
    assert s.n_trials == 2
    assert s.mean == pytest.approx({"R1": 0.75, "R5": 1.0, "mAP": 0.6, "mINP": 0.3})
    assert s.std == pytest.approx({"R1": 0.25, "R5": 0.0, "mAP": 0.2, "mINP": 0.1})
    assert s.cmc_mean == [0.75, 1.0]
    assert "R10" not in s.mean
    with pytest.raises(MetricError, match="no trial"):
        aggregate_trials([])


def test_evaluate_trials_over_splits():
    rng = np.random.default_rng(0)
    splits = []
    for _ in range(3):
        ids = rng.permutation(20)[:8]
        g = rng.normal(size=(8, 4))
        splits.append(
            {
                "q_feats": g + 0.01 * rng.normal(size=(8, 4)),
                "g_feats": g,
                "q_pids": ids,
                "g_pids": ids,
                "q_camids": np.zeros(8, int),
                "g_camids": np.ones(8, int),
            }
        )
    s = evaluate_trials(splits, max_rank=5)
    assert s.n_trials == 3 and s.mean["R1"] == 1.0 and s.std["R1"] == 0.0
    assert s.to_dict()["std_ddof"] == 0
    with pytest.raises(MetricError, match="lacks"):
        evaluate_trials([{"q_feats": 1}])


def test_text_to_image_helper():
    text = np.array([[1.0, 0.1], [0.0, 1.0], [1.0, 1.0]])
    imgs = np.array([[1.0, 0.0], [0.0, 1.0], [0.9, 0.2]])
    r = evaluate_text_to_image(text, imgs, [7, 8, 9], [7, 8, 7])
    assert r.conventions["junk"] == "none" and r.conventions["max_rank"] == 10
    assert r.n_query == 3 and r.n_valid_query == 2  # pid 9 has no image: skipped, counted
    # caption 0: images 0 and 2 (pid 7) rank 1-2 -> AP 1; caption 1: image 1 first -> AP 1
    assert r.mAP == pytest.approx(1.0) and r.to_dict()["R1"] == 1.0


def test_mean_std_is_population_std_over_common_keys():
    mean, std = mean_std([{"R1": 0.5, "mAP": 0.2, "x": 1.0}, {"R1": 0.7, "mAP": 0.4}])
    assert list(mean) == ["R1", "mAP"]
    assert mean == pytest.approx({"R1": 0.6, "mAP": 0.3}) and std == pytest.approx({"R1": 0.1, "mAP": 0.1})
    with pytest.raises(MetricError, match="no trial results"):
        mean_std([])
