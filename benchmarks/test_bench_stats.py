"""Benchmarks of per-query files and the statistics (pytest-benchmark). Not tests: run explicitly,

    OMP_NUM_THREADS=2 pytest benchmarks/test_bench_stats.py --benchmark-only -s

Targets (issue 17, MSMT17 scale: 11,659 queries, 82,161 gallery images, k = 10):
* per-query file: built and written in under 1 s, a few MB;
* record intervals (1,000 bootstrap resamples of R1/R5/R10/mAP/mINP): under 2 s on 2 cores;
* the top-k lists cost little on top of scoring (measured at Market-1501 scale).
Data are synthetic: random first-hit ranks, AP, INP and top-k lists with MSMT17-like relative paths.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from harness.metrics.outcomes import QueryOutcomes
from harness.results.per_query import QuerySet, build_per_query, compute_intervals, write_per_query

N_Q, N_G, K = 11659, 82161, 10


def cpu_seconds(fn: Callable[[], object], rounds: int = 3) -> float:
    """Median process CPU time of ``fn`` (user + system, all threads): on a machine shared with other
    jobs the wall time mostly measures waiting for a core; CPU time is what the work costs."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return sorted(times)[len(times) // 2]


def msmt_like_sets(seed: int = 0) -> list[QuerySet]:
    rng = np.random.default_rng(seed)
    first = np.minimum(rng.geometric(0.6, N_Q), 5000).astype(np.int32)
    ap = np.clip(rng.beta(2, 2, N_Q), 0.01, 1.0)
    inp = ap * rng.uniform(0.2, 1.0, N_Q)
    topk = rng.integers(0, N_G, (N_Q, K)).astype(np.int32)
    root = "/data/MSMT17_V1"
    q_paths = [
        f"{root}/test/{i % 3060:04d}/{i % 3060:04d}_{i:03d}_01_0303morning_0015_0.jpg" for i in range(N_Q)
    ]
    g_paths = [
        f"{root}/test/{i % 3060:04d}/{i % 3060:04d}_{i:03d}_07_0303noon_0035_1.jpg" for i in range(N_G)
    ]
    outcomes = QueryOutcomes(first, ap, inp, topk)
    q_pid, g_pid = rng.integers(0, 3060, N_Q), rng.integers(0, 3060, N_G)
    q_cam, g_cam = rng.integers(0, 15, N_Q), rng.integers(0, 15, N_G)
    return [QuerySet(q_paths, q_pid, q_cam, g_paths, g_pid, g_cam, outcomes)]


def test_per_query_file_msmt(benchmark, tmp_path: Path) -> None:
    sets = msmt_like_sets()
    path = tmp_path / "msmt.queries.npz"

    def write() -> None:
        pq = build_per_query(sets, root="/data/MSMT17_V1", denominator="valid", k=K)
        write_per_query(path, pq)

    benchmark.pedantic(write, rounds=3, iterations=1)
    size = path.stat().st_size / 2**20
    cpu = cpu_seconds(write)
    benchmark.extra_info.update(file_MiB=round(size, 2), cpu_s=round(cpu, 3))
    wall = benchmark.stats["median"]
    print(f"\nper-query file at MSMT17 scale: {size:.2f} MiB, wall {wall:.3f} s, cpu {cpu:.3f} s")
    assert size < 8


def test_intervals_msmt(benchmark) -> None:
    pq = build_per_query(msmt_like_sets(), root="/data/MSMT17_V1", denominator="valid", k=K)
    metrics = ["R1", "R5", "R10", "mAP", "mINP"]
    iv = benchmark.pedantic(lambda: compute_intervals(pq, metrics), rounds=3, iterations=1)
    median, cpu = benchmark.stats["median"], cpu_seconds(lambda: compute_intervals(pq, metrics))
    benchmark.extra_info["cpu_s"] = round(cpu, 3)
    print(f"\nintervals (1,000 resamples, 5 metrics, {N_Q} queries): wall {median:.3f} s, cpu {cpu:.3f} s")
    assert set(iv.metrics) == set(metrics)


def test_paired_compare_msmt(benchmark) -> None:
    from harness.stats import paired_compare

    rng = np.random.default_rng(1)
    a = rng.beta(2, 2, N_Q)
    b = np.clip(a + rng.normal(0, 0.05, N_Q), 0, 1)
    zeros, ids = np.zeros(N_Q), np.arange(N_Q)
    res = benchmark.pedantic(lambda: paired_compare(a, b, zeros, ids, binary=False), rounds=3, iterations=1)
    cpu = cpu_seconds(lambda: paired_compare(a, b, zeros, ids, binary=False))
    median = benchmark.stats["median"]
    print(f"\npaired compare (1,000 resamples, 10,000 sign flips): wall {median:.3f} s, cpu {cpu:.3f} s")
    assert 0 <= res.p_value <= 1


@pytest.mark.parametrize("topk", [None, K])
def test_topk_cost_market(benchmark, topk) -> None:
    from benchmarks.test_bench_metrics import MARKET, make_reid_features
    from harness.metrics import evaluate_features

    (q, qp, qc), (g, gp, gc) = make_reid_features(**MARKET)

    def score():
        return evaluate_features(q, g, qp, gp, qc, gc, max_rank=10, topk=topk)

    result = benchmark.pedantic(score, rounds=2, iterations=1)
    cpu = cpu_seconds(score, rounds=1)
    print(
        f"\nMarket-1501 scale scoring, topk={topk}: wall {benchmark.stats['median']:.2f} s, cpu {cpu:.2f} s"
    )
    assert (result.query_topk is None) == (topk is None)
