"""Benchmarks of harness.metrics (pytest-benchmark). Not tests: run them explicitly, e.g.

    pytest benchmarks/test_bench_metrics.py --benchmark-only -k "distmat or market"
    pytest benchmarks/ --benchmark-only -k msmt        # heavy: MSMT17 scale, minutes

Heavy scenarios run in a subprocess (``python benchmarks/test_bench_metrics.py SCENARIO``) so that
their peak RSS is their own; the measured numbers are attached to the benchmark's ``extra_info``
and printed. Data are synthetic (``make_reid_features``): identity centres plus camera shifts plus
per-item noise of random scale, tuned to an MSMT-like difficulty (R1 about 0.97, mAP about 0.6).
"""

from __future__ import annotations

import importlib.util
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]

MSMT = {"n_q": 11659, "n_g": 82161, "n_ids": 3060, "n_cams": 15, "dim": 768}
MARKET = {"n_q": 3368, "n_g": 15913, "n_ids": 751, "n_cams": 6, "dim": 768}


def make_reid_features(n_q, n_g, n_ids, n_cams, dim, seed=0, noise=1.1, cam=0.8):
    """Synthetic float32 query/gallery features with pids and camids."""
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((n_ids, dim), dtype=np.float32)
    shifts = rng.standard_normal((n_cams, dim), dtype=np.float32) * np.float32(cam)

    def items(n):
        pid = rng.integers(0, n_ids, n)
        cid = rng.integers(0, n_cams, n)
        scale = (noise * np.exp(0.35 * rng.standard_normal((n, 1)))).astype(np.float32)
        x = rng.standard_normal((n, dim), dtype=np.float32)
        x *= scale
        x += centers[pid]
        x += shifts[cid]
        return x, pid, cid

    return items(n_q), items(n_g)


def peak_rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def load_torchreid_rank():
    """torchreid's own ``metrics/rank.py`` from the installed ``torchreid`` 0.2.5 package (pure-Python
    path), loaded by file so that torchreid's heavy package ``__init__`` is not imported."""
    spec = importlib.util.find_spec("torchreid")
    if spec is None or spec.submodule_search_locations is None:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "reid" / "metrics" / "rank.py"
    if not path.exists():
        return None
    mod_spec = importlib.util.spec_from_file_location("_torchreid_rank", path)
    module = importlib.util.module_from_spec(mod_spec)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        mod_spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------- scenarios run in a subprocess
def scenario_msmt_e2e(device: str = "cpu") -> dict:
    import torch

    from harness.metrics import evaluate_features

    (q, qp, qc), (g, gp, gc) = make_reid_features(**MSMT)
    qt, gt = torch.from_numpy(q).to(device), torch.from_numpy(g).to(device)
    rss_data = peak_rss_gib()
    evaluate_features(qt[:64], gt, qp[:64], gp, qc[:64], gc, device=device)  # warm-up (threads, allocator)

    def floor() -> float:
        t0 = time.perf_counter()
        prod = torch.mm(qt, gt.t())  # the floor: the bare query x gallery product of the same features
        if device == "cuda":
            torch.cuda.synchronize()
        del prod
        return time.perf_counter() - t0

    if device == "cuda":
        torch.cuda.synchronize()
    t0 = time.perf_counter()
    res = evaluate_features(qt, gt, qp, gp, qc, gc, distance="cosine", device=device)
    if device == "cuda":
        torch.cuda.synchronize()
    t_ours = time.perf_counter() - t0
    rss_ours = peak_rss_gib()  # before the floor allocates its 3.8 GB product
    t_floors = [floor(), floor()]
    t_floor = float(np.mean(t_floors))
    return {
        "scenario": "msmt_e2e",
        "device": device,
        "seconds_end_to_end": t_ours,
        "seconds_floor_mm": t_floor,
        "seconds_floor_runs": t_floors,
        "ratio": t_ours / t_floor,
        "peak_rss_gib": rss_ours,
        "rss_after_data_gib": rss_data,
        "metrics": res.to_dict() | {"cmc": None},
        "chunk_size": res.conventions["chunk_size"],
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "loadavg_after": os.getloadavg(),
    }


def scenario_rerank(scale: str, device: str = "cpu", repeats: str | int | None = None) -> dict:
    """Re-ranking through ``evaluate_features(..., rerank=True)`` against its floor, the blocked
    all-items product ``(Q+G) x (Q+G) x dim`` of the same (normalised) features, measured in the
    same process: half of the floor's row blocks before the re-ranking and half after, so that a
    drift in machine load weighs on both sides alike. This is done ``repeats`` times (default 3 at
    Market-1501 scale, 1 at MSMT17 scale); ``ratio`` is the median of the repeats' ratios, all of
    which are listed, and the other figures are those of the median repeat."""
    import torch
    import torch.nn.functional as F

    import harness.metrics.rerank as rr
    from harness.metrics import evaluate_features

    cfg = MSMT if scale == "msmt" else MARKET
    repeats = int(repeats) if repeats is not None else (1 if scale == "msmt" else 3)
    (q, qp, qc), (g, gp, gc) = make_reid_features(**cfg)
    qt, gt = torch.from_numpy(q).to(device), torch.from_numpy(g).to(device)
    x = F.normalize(torch.cat([qt, gt]), dim=1)
    blocks = list(range(0, len(x), 512))

    def floor(part: list[int]) -> np.ndarray:
        t0, c0 = time.perf_counter(), time.process_time()
        for r0 in part:
            torch.mm(x[r0 : r0 + 512], x.t())
        if device == "cuda":
            torch.cuda.synchronize()
        return np.array([time.perf_counter() - t0, time.process_time() - c0])

    floor(blocks[:2])  # warm-up (threads, allocator)
    made = []
    build = rr.KReciprocalReranker.from_features.__func__

    def capture(cls, *args, **kwargs):
        made.append(build(cls, *args, **kwargs))
        return made[-1]

    rr.KReciprocalReranker.from_features = classmethod(capture)
    runs = []
    for _ in range(repeats):
        t_floor = floor(blocks[0::2])
        rss_before = peak_rss_gib()
        t0, c0 = time.perf_counter(), time.process_time()
        res = evaluate_features(qt, gt, qp, gp, qc, gc, rerank=True, device=device, chunk_size=512)
        if device == "cuda":
            torch.cuda.synchronize()
        seconds, cpu_seconds = time.perf_counter() - t0, time.process_time() - c0
        rss = peak_rss_gib()
        t_floor += floor(blocks[1::2])
        stages = dict(made.pop().timings_s)  # drop the re-ranker: repeats must not hold its memory
        stages["metrics_and_rest"] = seconds - sum(stages.values())
        runs.append(
            {
                "seconds": seconds,
                "seconds_floor_all_items_product": t_floor[0],
                "ratio": seconds / t_floor[0],
                "cpu_seconds": cpu_seconds,
                "cpu_seconds_floor": t_floor[1],
                "cpu_ratio": cpu_seconds / t_floor[1],
                "stages_s": stages,
                "peak_rss_gib": rss,
                "rss_before_rerank_gib": rss_before,
                "metrics": res.to_dict() | {"cmc": None},
            }
        )
    median = sorted(runs, key=lambda r: r["ratio"])[(len(runs) - 1) // 2]
    out = {
        "scenario": f"{scale}_rerank",
        "device": device,
        **median,
        "ratios": [r["ratio"] for r in runs],
        "cpu_ratios": [r["cpu_ratio"] for r in runs],
        "threads": torch.get_num_threads(),
        "loadavg_after": os.getloadavg(),
    }
    if device == "cuda":
        out["peak_gpu_gib"] = torch.cuda.max_memory_allocated() / 2**30
    return out


def run_scenario(*args: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    out = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        raise RuntimeError(f"scenario {args} failed:\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _record(benchmark, info: dict) -> None:
    benchmark.extra_info.update(info)
    print("\n" + json.dumps(info, indent=1))


# ---------------------------------------------------------------- benchmarks
@pytest.fixture(scope="module")
def distmat_2000x20000():
    import torch

    from harness.metrics import pairwise_distances

    (q, qp, qc), (g, gp, gc) = make_reid_features(2000, 20000, 1500, 15, 256, seed=1)
    d = pairwise_distances(torch.from_numpy(q), torch.from_numpy(g), distance="cosine")
    return d, qp, gp, qc, gc


def test_bench_metrics_distmat_2000x20000_vs_torchreid(benchmark, distmat_2000x20000):
    from harness.metrics import evaluate_distances

    d, qp, gp, qc, gc = distmat_2000x20000
    ours = benchmark.pedantic(
        lambda: evaluate_distances(d, qp, gp, qc, gc), rounds=3, iterations=1, warmup_rounds=1
    )
    t_ours = benchmark.stats.stats.median
    rank = load_torchreid_rank()
    if rank is not None:
        t0 = time.perf_counter()
        cmc, m_ap = rank.eval_market1501(d, qp, gp, qc, gc, 50)
        t_ref = time.perf_counter() - t0
        baseline = "torchreid 0.2.5 eval_market1501 (pure Python, pip package)"
        hits_theirs = np.round(np.asarray(cmc, dtype=np.float64) * ours.n_valid_query)
        np.testing.assert_array_equal(hits_theirs, np.round(ours.cmc * ours.n_valid_query))
        assert abs(m_ap - ours.mAP) < 1e-6
    else:
        from harness.metrics import evaluate_distances as ev

        t0 = time.perf_counter()
        ev(d, qp, gp, qc, gc, implementation="reference")
        t_ref = time.perf_counter() - t0
        baseline = "harness.metrics reference (per-query argsort + NumPy masking; torchreid not installed)"
    _record(
        benchmark,
        {
            "baseline": baseline,
            "seconds_baseline": t_ref,
            "seconds_ours_median": t_ours,
            "speedup": t_ref / t_ours,
            "R1": ours.cmc[0],
            "mAP": ours.mAP,
            "mINP": ours.mINP,
        },
    )
    assert t_ref / t_ours >= 40


def test_bench_metrics_distmat_2000x20000_adversarial(benchmark):
    """Worst case for the sort-free path: positives spread over the whole ranking (mINP ~ 0.2%)."""
    from harness.metrics import evaluate_distances

    rng = np.random.default_rng(0)
    gp, qp = rng.integers(0, 1500, 20000), rng.integers(0, 1530, 2000)
    gc, qc = rng.integers(0, 15, 20000), rng.integers(0, 15, 2000)
    d = rng.random((2000, 20000), dtype=np.float32)
    d -= (qp[:, None] == gp[None, :]) * rng.random((2000, 20000), dtype=np.float32) * np.float32(0.8)
    res = benchmark.pedantic(lambda: evaluate_distances(d, qp, gp, qc, gc), rounds=1, iterations=1)
    _record(benchmark, {"R1": res.cmc[0], "mAP": res.mAP, "mINP": res.mINP})


def test_bench_metrics_market_rerank_cpu(benchmark):
    info = benchmark.pedantic(lambda: run_scenario("rerank", "market", "cpu"), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info["seconds"] <= 60 and info["peak_rss_gib"] <= 4
    assert info["ratio"] <= 1.3


def test_bench_metrics_msmt_e2e_cpu(benchmark):
    info = benchmark.pedantic(lambda: run_scenario("msmt_e2e", "cpu"), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info["ratio"] <= 1.6 and info["peak_rss_gib"] <= 3


def test_bench_metrics_msmt_rerank_cpu(benchmark):
    info = benchmark.pedantic(lambda: run_scenario("rerank", "msmt", "cpu"), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info["ratio"] <= 1.3 and info["peak_rss_gib"] <= 3


def _cuda() -> bool:
    try:
        import torch

        return torch.cuda.is_available()
    except ImportError:  # pragma: no cover
        return False


@pytest.mark.skipif(not _cuda(), reason="needs CUDA")
def test_bench_metrics_msmt_e2e_cuda(benchmark):
    info = benchmark.pedantic(lambda: run_scenario("msmt_e2e", "cuda"), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info["seconds_end_to_end"] <= 1.0


@pytest.mark.skipif(not _cuda(), reason="needs CUDA")
def test_bench_metrics_msmt_rerank_cuda(benchmark):
    info = benchmark.pedantic(lambda: run_scenario("rerank", "msmt", "cuda"), rounds=1, iterations=1)
    _record(benchmark, info)
    assert info["seconds"] <= 60 and info["peak_gpu_gib"] <= 40


if __name__ == "__main__":
    name, *rest = sys.argv[1:]
    if name == "msmt_e2e":
        result = scenario_msmt_e2e(*rest)
    elif name == "rerank":
        result = scenario_rerank(*rest)
    else:
        raise SystemExit(f"unknown scenario {name}")
    print(json.dumps(result, default=float))
