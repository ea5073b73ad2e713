"""Statistics for comparing retrieval results: query-level bootstrap intervals, paired tests
between two methods on the same queries, exact McNemar and Holm's correction.

Pure NumPy (no torch). Every function is seeded and vectorised; ``docs/statistics.md`` says what is
resampled and why.
"""

from __future__ import annotations

from harness.stats.bootstrap import Interval, bootstrap_interval, bootstrap_means, percentile_interval
from harness.stats.mcnemar import mcnemar_exact
from harness.stats.multiple import holm
from harness.stats.paired import PairedResult, paired_compare, sign_flip_test

__all__ = [
    "Interval",
    "PairedResult",
    "bootstrap_interval",
    "bootstrap_means",
    "holm",
    "mcnemar_exact",
    "paired_compare",
    "percentile_interval",
    "sign_flip_test",
]
