"""Simulation checks of the statistics (seeded, so deterministic): coverage, size and power.

* 95% bootstrap intervals cover the true mean in 93-97% of 400 synthetic draws (one split, and
  several trials with a trial effect);
* the paired tests reject at alpha = 0.05 in 3-7% of 400 draws when the two methods are identical
  up to noise, and in more than 90% when one is clearly better.

Each draw is one column of a [queries x draws] matrix, so one vectorised bootstrap call serves all
400 draws (the draws share resample counts; their data are independent).
"""

from __future__ import annotations

import numpy as np
import pytest

from harness.stats import bootstrap_interval, paired_compare

DRAWS = 400


def coverage(groups: list[np.ndarray], truth: float) -> float:
    intervals = bootstrap_interval(groups, n_resamples=1000, seed=7)
    return float(np.mean([iv.low <= truth <= iv.high for iv in intervals]))


@pytest.mark.parametrize("n", [60, 200])
def test_interval_coverage_ap_like(n):
    rng = np.random.default_rng(100 + n)
    values = rng.beta(2, 3, size=(n, DRAWS))  # AP-like per-query values, true mean 0.4
    assert 0.93 <= coverage([values], 0.4) <= 0.97


def test_interval_coverage_rank1_like():
    rng = np.random.default_rng(5)
    hits = (rng.random((200, DRAWS)) < 0.7).astype(float)  # rank-1 hits, true rate 0.7
    assert 0.93 <= coverage([hits], 0.7) <= 0.97


def test_interval_coverage_trials_and_queries():
    # 10 trials of 50 queries; each trial shifts its queries by a trial effect (sd 0.05)
    rng = np.random.default_rng(11)
    groups = [rng.beta(2, 3, size=(50, DRAWS)) + rng.normal(0, 0.05, size=(1, DRAWS)) for _ in range(10)]
    assert 0.93 <= coverage(groups, 0.4) <= 0.97


def rejection_rate(shift: float, binary: bool, n: int = 200) -> float:
    rng = np.random.default_rng(1000 + int(binary) + int(shift * 100))
    rejected = 0
    for i in range(DRAWS):
        if binary:  # per-query hit probability shared by both methods, A better by `shift`
            p = rng.uniform(0.2, 0.8, n)
            a = (rng.random(n) < p + shift).astype(float)
            b = (rng.random(n) < p).astype(float)
        else:  # per-query AP shared by both, independent noise, A better by `shift`
            base = rng.beta(2, 3, n)
            a = np.clip(base + rng.normal(0, 0.1, n) + shift, 0, 1)
            b = np.clip(base + rng.normal(0, 0.1, n), 0, 1)
        res = paired_compare(
            a, b, np.zeros(n), np.arange(n), binary=binary, n_resamples=100, n_permutations=1000, seed=i
        )
        rejected += res.p_value <= 0.05
    return rejected / DRAWS


@pytest.mark.parametrize("binary", [False, True], ids=["sign-flip", "mcnemar"])
def test_paired_test_size(binary):
    assert 0.03 <= rejection_rate(0.0, binary) <= 0.07


@pytest.mark.parametrize(("binary", "shift"), [(False, 0.05), (True, 0.2)], ids=["sign-flip", "mcnemar"])
def test_paired_test_power(binary, shift):
    assert rejection_rate(shift, binary) > 0.90
