"""Average query expansion and multi-trial aggregation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from harness.errors import MetricError
from harness.metrics import evaluate_features
from harness.metrics.aqe import AQEParams, aqe_dense, average_query_expansion
from harness.metrics.trials import mean_std


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


def test_mean_std_is_population_std_over_common_keys():
    mean, std = mean_std([{"R1": 0.5, "mAP": 0.2, "x": 1.0}, {"R1": 0.7, "mAP": 0.4}])
    assert list(mean) == ["R1", "mAP"]
    assert mean == pytest.approx({"R1": 0.6, "mAP": 0.3}) and std == pytest.approx({"R1": 0.1, "mAP": 0.1})
    with pytest.raises(MetricError, match="no trial results"):
        mean_std([])
