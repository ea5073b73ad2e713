"""Checkpoint reading, prefix stripping, strict loading and hashing (harness.checkpoints)."""

from __future__ import annotations

import hashlib
import os
import re
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from harness.checkpoints import (
    CheckpointWarning,
    load_state_dict_strict,
    read_checkpoint,
    sha256_file,
    strip_prefixes,
    verify_sha256,
    write_state_dict,
)
from harness.errors import CheckpointError


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(4, 3)
        self.bn = nn.BatchNorm1d(3)


def tiny_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    return {k: v.clone() for k, v in Tiny().state_dict().items()}


@pytest.mark.parametrize("name", ["w.pth", "w.pth.tar", "w.pt", "w.safetensors"])
def test_round_trip_formats(tmp_path: Path, name: str) -> None:
    state = tiny_state()
    path = write_state_dict(tmp_path / name, state)
    loaded = read_checkpoint(path)
    assert sorted(loaded) == sorted(state)
    for k in state:
        assert torch.equal(loaded[k], state[k])


def test_legacy_torch_save_format(tmp_path: Path) -> None:
    state = tiny_state()
    torch.save(state, tmp_path / "old.pth", _use_new_zipfile_serialization=False)
    assert torch.equal(read_checkpoint(tmp_path / "old.pth")["fc.weight"], state["fc.weight"])


@pytest.mark.parametrize("nesting", [["model"], ["state_dict"], ["network"], ["model", "state_dict"]])
def test_nested_dicts_are_unwrapped(tmp_path: Path, nesting: list[str]) -> None:
    obj: object = tiny_state()
    for key in reversed(nesting):
        obj = {key: obj, "epoch": 3, "optimizer": {"lr": 0.1}}
    torch.save(obj, tmp_path / "nested.pth.tar")
    assert set(read_checkpoint(tmp_path / "nested.pth.tar")) == set(tiny_state())


def test_no_state_dict_inside(tmp_path: Path) -> None:
    torch.save({"epoch": 3, "notes": "x"}, tmp_path / "meta.pth")
    with pytest.raises(CheckpointError, match=r"meta\.pth.*nesting keys"):
        read_checkpoint(tmp_path / "meta.pth")


def test_module_prefix_is_stripped_and_loads_strictly(tmp_path: Path) -> None:
    state = {"module." + k: v for k, v in tiny_state().items()}
    path = write_state_dict(tmp_path / "dp.pth", state)
    stripped = strip_prefixes(read_checkpoint(path), ["module."])
    model = Tiny()
    report = load_state_dict_strict(model, stripped, source=path)
    assert report.ok and report.loaded == len(state)
    assert torch.equal(model.fc.weight, tiny_state()["fc.weight"])


def test_strip_prefixes_repeated_and_collisions() -> None:
    t = torch.zeros(1)
    out = strip_prefixes({"module.base.x": t, "base.y": t, "bottleneck.z": t}, ["module.", "base."])
    assert list(out) == ["x", "y", "bottleneck.z"]
    with pytest.raises(CheckpointError, match="maps both"):
        strip_prefixes({"module.x": t, "x": t}, ["module."])


def test_missing_key_is_an_error_naming_file_and_key() -> None:
    state = tiny_state()
    del state["bn.running_var"]
    with pytest.raises(CheckpointError, match=r"my\.pth.*1 missing key\(s\): bn\.running_var"):
        load_state_dict_strict(Tiny(), state, source="my.pth")


def test_unexpected_key_is_an_error_unless_dropped() -> None:
    state = tiny_state()
    state["classifier.weight"] = torch.zeros(10, 3)
    with pytest.raises(CheckpointError, match=r"unexpected key\(s\): classifier\.weight.*drop_keys"):
        load_state_dict_strict(Tiny(), state, source="x.pth")
    report = load_state_dict_strict(Tiny(), state, drop=[r"classifier\."], source="x.pth")
    assert report.dropped == ["classifier.weight"] and report.ok
    assert report.to_dict()["dropped_keys"] == ["classifier.weight"]


def test_drop_pattern_does_not_excuse_missing_keys() -> None:
    state = tiny_state()
    del state["fc.bias"]
    with pytest.raises(CheckpointError, match="missing"):
        load_state_dict_strict(Tiny(), state, drop=[r"fc\."], source="x.pth")


def test_wrong_architecture_lists_shape_mismatches() -> None:
    state = tiny_state()
    state["fc.weight"] = torch.zeros(5, 4)
    with pytest.raises(
        CheckpointError, match=r"shape mismatch.*fc\.weight: checkpoint \(5, 4\) vs model \(3, 4\)"
    ):
        load_state_dict_strict(Tiny(), state, source="other_arch.pth")


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_weights_are_refused(bad: float) -> None:
    state = tiny_state()
    state["fc.bias"][1] = bad
    with pytest.raises(CheckpointError, match=r"nan\.pth.*NaN/Inf: fc\.bias"):
        load_state_dict_strict(Tiny(), state, source="nan.pth")


def test_long_key_lists_are_truncated_with_a_count() -> None:
    big = nn.Sequential(*[nn.Linear(2, 2) for _ in range(20)])
    with pytest.raises(CheckpointError, match=r"40 missing key\(s\): .*\.\.\. and 30 more"):
        load_state_dict_strict(big, {}, source="empty.pth")


def test_invalid_drop_regex() -> None:
    with pytest.raises(CheckpointError, match="not a valid regular expression"):
        load_state_dict_strict(Tiny(), tiny_state(), drop=["("], source="x.pth")


class _RunsCode:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (Path.touch, (Path(self.marker),))


def test_pickle_that_runs_code_is_refused(tmp_path: Path) -> None:
    marker = tmp_path / "code_ran"
    torch.save({"w": torch.zeros(2), "payload": _RunsCode(str(marker))}, tmp_path / "evil.pth")
    with pytest.raises(CheckpointError, match=r"evil\.pth was refused.*--trust-checkpoint"):
        read_checkpoint(tmp_path / "evil.pth")
    assert not marker.exists()
    # With trust the full pickle is loaded (and its code runs: that is what trust means).
    with pytest.raises(CheckpointError, match="not a flat state dict"):
        read_checkpoint(tmp_path / "evil.pth", trust=True)
    assert marker.exists()


def test_torchscript_archive_needs_trust(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.jit.script(nn.Linear(2, 2)).save(str(tmp_path / "jit.pt"))
    with pytest.raises(CheckpointError, match="TorchScript"):
        read_checkpoint(tmp_path / "jit.pt")
    assert set(read_checkpoint(tmp_path / "jit.pt", trust=True)) == {"weight", "bias"}


@pytest.mark.parametrize("name", ["t.pth", "t.safetensors"])
def test_truncated_file(tmp_path: Path, name: str) -> None:
    path = write_state_dict(tmp_path / name, {"w": torch.randn(1000)})
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match=re.escape(name) + ".*(truncated|corrupt)"):
        read_checkpoint(path)


def test_empty_garbage_and_missing_files(tmp_path: Path) -> None:
    (tmp_path / "empty.pth").write_bytes(b"")
    with pytest.raises(CheckpointError, match=r"empty\.pth is empty"):
        read_checkpoint(tmp_path / "empty.pth")
    (tmp_path / "junk.pth").write_bytes(b"definitely not a checkpoint")
    with pytest.raises(CheckpointError, match=r"junk\.pth"):
        read_checkpoint(tmp_path / "junk.pth")
    with pytest.raises(CheckpointError, match=r"nope\.pth does not exist"):
        read_checkpoint(tmp_path / "nope.pth")


def test_sha256(tmp_path: Path) -> None:
    path = write_state_dict(tmp_path / "w.pth", tiny_state())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert sha256_file(path) == digest
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert verify_sha256(path, digest.upper()) == digest
        assert verify_sha256(path, "sha256:" + digest) == digest
        assert verify_sha256(path, None) == digest
    with pytest.warns(CheckpointWarning, match=r"w\.pth has sha256"):
        verify_sha256(path, "0" * 64)
    with pytest.raises(CheckpointError, match=r"w\.pth has sha256"):
        verify_sha256(path, "0" * 64, strict=True)


def test_write_is_atomic(tmp_path: Path) -> None:
    write_state_dict(tmp_path / "w.pth", tiny_state())
    assert sorted(os.listdir(tmp_path)) == ["w.pth"]
