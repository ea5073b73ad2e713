"""Shared fixtures: the tiny synthetic world (written once per session) and a CLI runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture(scope="session")
def tiny_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny synthetic world with every registered layout, shared by the whole session (read-only)."""
    from harness.data.synth import synthesize

    root = tmp_path_factory.mktemp("world")
    synthesize(root, scale="tiny", seed=0)
    return root


@pytest.fixture()
def cli() -> CliRunner:
    return CliRunner()


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never touch the user's cache or data folders from a test."""
    monkeypatch.setenv("HARNESS_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("HARNESS_DATA", raising=False)


@pytest.fixture()
def reset_registry(monkeypatch: pytest.MonkeyPatch):
    """``reset_registry(REGISTRY)`` empties a registry for one test so its loaders run again."""

    def reset(registry) -> None:
        for attribute, value in (("_entries", {}), ("_aliases", {}), ("_display", {}), ("_loaded", False)):
            monkeypatch.setattr(registry, attribute, value)

    return reset


@pytest.fixture()
def one_torch_thread():
    """One intra-op torch thread for one test, restored after it (tiny batches on a shared 2-core
    machine are fastest and steadiest so). Folders that want it for every test use it from an
    autouse fixture of their conftest; it never leaks into later tests."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
