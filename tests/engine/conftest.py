"""Engine fixtures: hsv-hist on the tiny world's Market gallery."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def hsv():
    from harness.methods.load import load_method

    return load_method("hsv-hist", device="cpu")


@pytest.fixture(scope="module")
def market(tiny_world: Path):
    from harness.data.registry import get_reader

    return get_reader("market1501").read(tiny_world).manifest


@pytest.fixture(autouse=True)
def _one_torch_thread(one_torch_thread) -> None:
    """Every test in this folder runs on one intra-op torch thread (restored after each test)."""
