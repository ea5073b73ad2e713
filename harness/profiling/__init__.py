"""Cost of a method: parameters per tower, FLOPs per item, latency, throughput and peak memory."""

from __future__ import annotations

from harness.profiling.flops import FlopCount, count_flops
from harness.profiling.params import tower_parameters
from harness.profiling.timing import Measurement, measure

__all__ = ["FlopCount", "Measurement", "count_flops", "measure", "tower_parameters"]
