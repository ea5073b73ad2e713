"""Latency and throughput of a callable, timed correctly on either device.

* CUDA: ``torch.cuda.Event(enable_timing=True)`` pairs around each call after ``warmup`` calls,
  with ``torch.cuda.synchronize()`` before reading them, so kernels are timed, not their launch;
  peak memory from ``torch.cuda.max_memory_allocated`` (reset before the first timed call).
* CPU: ``time.perf_counter_ns`` (monotonic) around each call after the warm-up; peak memory is the
  process's peak resident set (``ru_maxrss``), which includes everything loaded so far.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass
class Measurement:
    """Seconds per call over ``iters`` timed calls of ``items`` items each."""

    times_s: list[float]
    items: int
    device: str
    clock: str
    peak_memory_bytes: int | None
    peak_memory_kind: str

    @property
    def mean_s(self) -> float:
        return statistics.fmean(self.times_s)

    @property
    def median_s(self) -> float:
        return statistics.median(self.times_s)

    def percentile_s(self, q: float) -> float:
        ordered = sorted(self.times_s)
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    @property
    def items_per_s(self) -> float:
        return self.items / self.median_s if self.median_s > 0 else float("inf")

    def as_dict(self) -> dict[str, Any]:
        return {
            "batch": self.items,
            "iters": len(self.times_s),
            "median_ms": 1e3 * self.median_s,
            "mean_ms": 1e3 * self.mean_s,
            "p90_ms": 1e3 * self.percentile_s(0.9),
            "items_per_s": self.items_per_s,
            "device": self.device,
            "clock": self.clock,
            "peak_memory_bytes": self.peak_memory_bytes,
            "peak_memory_kind": self.peak_memory_kind,
        }


def _cpu_peak_rss() -> int | None:
    try:
        import resource
    except ImportError:  # not on this platform
        return None
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024  # Linux reports KiB


def measure(fn: Callable[[], Any], *, device, items: int, warmup: int = 3, iters: int = 10) -> Measurement:
    """Time ``iters`` calls of ``fn()`` after ``warmup`` untimed calls (see the module docstring)."""
    import torch

    device = torch.device(device)
    for _ in range(warmup):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        pairs = []
        for _ in range(iters):
            start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            stop.record()
            pairs.append((start, stop))
        torch.cuda.synchronize(device)
        times = [a.elapsed_time(b) / 1e3 for a, b in pairs]
        return Measurement(
            times,
            items,
            str(device),
            "cuda-events",
            torch.cuda.max_memory_allocated(device),
            "torch.cuda.max_memory_allocated",
        )
    times = []
    for _ in range(iters):
        tick = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - tick) / 1e9)
    return Measurement(times, items, str(device), "perf_counter", _cpu_peak_rss(), "process peak RSS")
