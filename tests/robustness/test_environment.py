"""Issue 9, item 7, through ``harness run``: unwritable output or cache folders, too little free disk
and ``--device cuda`` without CUDA fail before any embedding is computed, with a clear message."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

import pytest

from tests.robustness._support import assert_user_error, run


@pytest.fixture()
def blocker(tmp_path: Path) -> Path:
    """A plain file: nothing can be created under it (works as root too, unlike chmod)."""
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    return path


def _nothing_computed(tmp_path: Path) -> None:
    assert not list(tmp_path.rglob("chunk-*.safetensors")) and not list(tmp_path.rglob("market1501.json"))


def test_unwritable_output_folder(tiny_world: Path, tmp_path: Path, cli, blocker: Path) -> None:
    assert_user_error(
        run(cli, tiny_world, blocker / "out"),
        f"output directory {blocker / 'out'} is not writable",
        "--out DIR",
    )
    _nothing_computed(tmp_path)


def test_unwritable_cache_folder(tiny_world: Path, tmp_path: Path, cli, blocker: Path) -> None:
    result = run(cli, tiny_world, tmp_path / "out", "--cache-dir", str(blocker / "cache"))
    assert_user_error(result, f"cache directory {blocker / 'cache'} is not writable", "--cache-dir DIR")
    _nothing_computed(tmp_path)


def test_too_little_free_disk_for_the_cache(tiny_world: Path, tmp_path: Path, cli, monkeypatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("harness.engine.preflight.shutil.disk_usage", lambda path: usage(10**9, 10**9, 10**6))
    output = assert_user_error(
        run(cli, tiny_world, tmp_path / "out"), "not enough free disk for the embedding cache"
    )
    assert "MiB is free" in output and "--no-cache" in output
    _nothing_computed(tmp_path)


@pytest.mark.parametrize("device", ["cuda", "cuda:1"])
def test_device_cuda_without_cuda(tiny_world: Path, tmp_path: Path, cli, monkeypatch, device: str) -> None:
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as on a machine without CUDA
    assert_user_error(
        run(cli, tiny_world, tmp_path / "out", "--device", device),
        f"--device {device} was asked for, but this machine has no CUDA device",
    )
    _nothing_computed(tmp_path)


def test_unknown_device(tiny_world: Path, tmp_path: Path, cli) -> None:
    assert_user_error(
        run(cli, tiny_world, tmp_path / "out", "--device", "tpu"), "--device must be 'cpu' or 'cuda[:N]'"
    )
