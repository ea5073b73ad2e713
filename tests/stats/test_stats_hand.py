"""Hand-computed cases: exact McNemar, Holm, the paired bootstrap and the sign-flip test."""

from __future__ import annotations

import numpy as np
import pytest

from harness.errors import MetricError
from harness.stats import bootstrap_interval, holm, mcnemar_exact, paired_compare, sign_flip_test
from harness.stats.bootstrap import resample_statistic
from harness.stats.mcnemar import discordant


def test_mcnemar_hand_cases():
    # b ~ Binomial(b + c, 1/2): P(X <= 1 | n=6) = (1 + 6) / 64
    assert mcnemar_exact(1, 5) == pytest.approx(2 * 7 / 64)
    assert mcnemar_exact(5, 1) == pytest.approx(2 * 7 / 64)
    assert mcnemar_exact(0, 6) == pytest.approx(2 / 64)
    assert mcnemar_exact(3, 3) == 1.0
    assert mcnemar_exact(0, 0) == 1.0
    # P(X <= 2 | n=10) = (1 + 10 + 45) / 1024
    assert mcnemar_exact(2, 8) == pytest.approx(2 * 56 / 1024)
    assert mcnemar_exact(0, 1000) < 1e-300 or mcnemar_exact(0, 1000) == pytest.approx(2 * 0.5**1000)
    with pytest.raises(MetricError, match="non-negative"):
        mcnemar_exact(-1, 2)


def test_discordant_counts():
    a = np.array([1, 1, 0, 0, 1], bool)
    b = np.array([1, 0, 1, 0, 0], bool)
    assert discordant(a, b) == (2, 1)


def test_holm_hand_case():
    # sorted 0.01, 0.02, 0.04 -> 3*0.01, 2*0.02, 1*0.04, made monotone
    assert holm([0.04, 0.01, 0.02]) == pytest.approx([0.04, 0.03, 0.04])
    assert holm([0.5, 0.6]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_bootstrap_distribution_of_three_values():
    # resamples of [0, 0, 1]: mean 0 with prob 8/27, 1/3 with 12/27, 2/3 with 6/27, 1 with 1/27
    samples = resample_statistic([np.array([0.0, 0.0, 1.0])], n_resamples=40_000, seed=1)[:, 0]
    for value, prob in ((0, 8 / 27), (1 / 3, 12 / 27), (2 / 3, 6 / 27), (1, 1 / 27)):
        assert np.mean(np.isclose(samples, value)) == pytest.approx(prob, abs=0.01)
    (iv,) = bootstrap_interval([np.array([0.0, 0.0, 1.0])], n_resamples=40_000, seed=1)
    assert (iv.low, iv.high) == (0.0, 1.0)  # 2.5%: inside the mass at 0; 97.5%: 1/27 > 2.5% at 1
    assert iv.method == "percentile" and iv.scheme == "queries"


def test_paired_bootstrap_hand_case():
    # differences [0, 1]: resampled mean is 0, 1/2 or 1 with prob 1/4, 1/2, 1/4
    a, b = np.array([0.5, 1.0]), np.array([0.5, 0.0])
    res = paired_compare(a, b, np.zeros(2), np.arange(2), binary=False, n_resamples=20_000)
    assert (res.a, res.b, res.delta) == (0.75, 0.25, 0.5)
    assert (res.ci_low, res.ci_high) == (0.0, 1.0)
    # sign flips of [0, 1]: |S*| = 1 always -> p = 1; of [1, 1]: |S*| in {2, 0, 0, 2} -> p = 1/2
    assert res.p_value == 1.0 and res.test == "paired sign-flip"
    assert sign_flip_test(np.array([1.0, 1.0])) == 0.5
    assert sign_flip_test(np.array([1.0, 1.0, 1.0])) == 0.25


def test_paired_r1_uses_mcnemar_and_trials_use_clusters():
    a = np.array([1, 1, 1, 1, 1, 1, 0, 1], float)
    b = np.array([0, 0, 0, 0, 0, 1, 0, 1], float)
    res = paired_compare(a, b, np.zeros(8), np.arange(8), binary=True)
    assert res.test == "exact McNemar" and res.p_value == pytest.approx(2 / 32)  # b=5, c=0
    # the same query in two trials: one cluster, sign-flip
    res2 = paired_compare(a, b, np.repeat([0, 1], 4), np.tile(np.arange(4), 2), binary=True)
    assert res2.test == "paired sign-flip" and res2.n_pairs == 8


def test_two_stage_mean_is_mean_of_trial_means():
    groups = [np.array([1.0, 1.0, 1.0]), np.array([0.0])]
    samples = resample_statistic(groups, n_resamples=4000, seed=0)[:, 0]
    # trial slots drawn with replacement: mean 1, 1/2 or 0 with prob 1/4, 1/2, 1/4
    for value, prob in ((1.0, 0.25), (0.5, 0.5), (0.0, 0.25)):
        assert np.mean(np.isclose(samples, value)) == pytest.approx(prob, abs=0.03)
    assert bootstrap_interval(groups, n_resamples=200)[0].scheme == "trials+queries"


def test_bad_input_is_named():
    with pytest.raises(MetricError, match="NaN"):
        bootstrap_interval([np.array([np.nan, 1.0])])
    with pytest.raises(MetricError, match="no queries"):
        bootstrap_interval([np.array([])])
    with pytest.raises(MetricError, match="one length"):
        paired_compare(np.zeros(2), np.zeros(3), np.zeros(2), np.zeros(2), binary=False)
