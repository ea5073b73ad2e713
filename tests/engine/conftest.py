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


@pytest.fixture(autouse=True, scope="session")
def _one_torch_thread():
    """Tiny batches on a shared 2-core machine are fastest (and steadiest) on one intra-op thread."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
