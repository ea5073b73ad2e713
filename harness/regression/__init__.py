"""CI regression of numbers: compare result records with committed expected numbers.

``results/expected/*.yaml`` holds expected metric values (percent, as reports print them) with
per-metric absolute tolerances; :func:`compare` checks a results folder against it and
:func:`update_expected` rewrites it from the results. ``harness check`` is the CLI.
"""

from __future__ import annotations

from harness.regression.compare import CheckRow, CheckSummary, compare
from harness.regression.expected import Expected, ExpectedEntry, load_expected, update_expected

__all__ = [
    "CheckRow",
    "CheckSummary",
    "Expected",
    "ExpectedEntry",
    "compare",
    "load_expected",
    "update_expected",
]
