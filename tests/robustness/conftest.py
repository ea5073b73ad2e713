"""Robustness fixtures: one intra-op torch thread (tiny batches on a shared 2-core machine)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_torch_thread(one_torch_thread) -> None:
    """Every test in this folder runs on one intra-op torch thread (restored after each test)."""
