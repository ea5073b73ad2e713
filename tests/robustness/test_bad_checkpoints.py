"""Issue 9, item 3, through ``harness run --weights``: a pickle that would run code is refused unless
``--trust-checkpoint``; a wrong architecture lists its shape mismatches; truncated files and NaN/Inf
weights are refused; a sha256 that differs from the card's entry warns (and notes it in the record),
or fails under ``--strict``. Every refusal is exit status 2 without a traceback.

Unit tests of the same rules on ``harness.checkpoints`` are in ``tests/checkpoints/test_checkpoints.py``."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from harness.methods import METHODS
from tests.robustness._support import assert_user_error, record, run

CONFIG = dict(
    input_size=[32, 16], patch_size=8, stride_size=8, embed_dim=32, depth=2, heads=2, test_feature="cls"
)
CARD = """
name: tiny-vit
title: a tiny TransReID-style ViT (robustness tests)
family: transreid-vit
family_config: {config}
input_size: [32, 16]
mean: [0.5, 0.5, 0.5]
std: [0.5, 0.5, 0.5]
test_feature: cls token
checkpoints:
  market1501: {{file: tiny.pth, sha256: "{sha256}"}}
"""


class RunsCode:
    """Unpickling this calls ``Path.touch(marker)``: a stand-in for a malicious payload."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _state_dict(**changes) -> dict[str, torch.Tensor]:
    from harness.models import FAMILIES

    torch.manual_seed(0)
    return FAMILIES.get("transreid-vit")({**CONFIG, **changes}).state_dict()


@pytest.fixture()
def tiny_vit(tmp_path: Path, monkeypatch, reset_registry):
    """``(write_card(sha256), checkpoint)``: a registered tiny-vit card and a good checkpoint for it."""
    from harness.checkpoints import sha256_file

    checkpoint = tmp_path / "tiny.pth"
    torch.save(_state_dict(), checkpoint)
    cards = tmp_path / "cards"

    def write_card(sha256: str) -> None:
        (cards / "tiny-vit").mkdir(parents=True, exist_ok=True)
        (cards / "tiny-vit" / "method.yaml").write_text(CARD.format(config=CONFIG, sha256=sha256))
        reset_registry(METHODS)

    monkeypatch.setenv("HARNESS_METHOD_PATH", str(cards))
    write_card(sha256_file(checkpoint))
    return write_card, checkpoint


def _run(cli, tiny_world: Path, tmp_path: Path, weights: Path, *extra: str):
    return run(cli, tiny_world, tmp_path / "out", "--weights", str(weights), *extra, method="tiny-vit")


def test_matching_checkpoint_runs_without_a_note(tiny_vit, tiny_world: Path, tmp_path: Path, cli) -> None:
    _, checkpoint = tiny_vit
    result = _run(cli, tiny_world, tmp_path, checkpoint, "--strict")
    assert result.exit_code == 0, result.output
    rec = record(tmp_path / "out", "tiny-vit", "single", "market1501")
    assert rec["method"]["weights"] == "checkpoint" and not any("sha256" in n for n in rec["notes"])


def test_pickle_that_runs_code_is_refused_without_trust(
    tiny_vit, tiny_world: Path, tmp_path: Path, cli
) -> None:
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.pth"
    torch.save({"state_dict": _state_dict(), "payload": RunsCode(marker)}, evil)
    assert_user_error(
        _run(cli, tiny_world, tmp_path, evil), f"checkpoint {evil} was refused", "--trust-checkpoint"
    )
    assert not marker.exists()  # the payload never ran
    assert not (tmp_path / "out" / "tiny-vit").exists()
    # the refusal is what stopped it: trusting the file runs its code (and then loads its weights)
    result = _run(cli, tiny_world, tmp_path, evil, "--trust-checkpoint")
    assert result.exit_code == 0, result.output
    assert marker.exists()


def test_wrong_architecture_lists_the_shape_mismatches(
    tiny_vit, tiny_world: Path, tmp_path: Path, cli
) -> None:
    wrong = tmp_path / "wide.pth"
    torch.save({"model": _state_dict(embed_dim=48)}, wrong)
    output = assert_user_error(_run(cli, tiny_world, tmp_path, wrong), f"checkpoint {wrong} does not fit")
    assert "shape mismatch(es)" in output and "pos_embed: checkpoint (1, 9, 48) vs model (1, 9, 32)" in output


def _truncated(tmp_path: Path, good: Path) -> tuple[Path, str]:
    cut = tmp_path / "cut.pth"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    return cut, f"checkpoint {cut} could not be read; it is truncated, corrupt or not a PyTorch file"


def _not_a_state_dict(tmp_path: Path, good: Path) -> tuple[Path, str]:
    path = tmp_path / "tensor.pth"
    torch.save(torch.zeros(3), path)
    return path, f"checkpoint {path} holds a Tensor, not a state dict"


def _folder(tmp_path: Path, good: Path) -> tuple[Path, str]:
    return tmp_path, f"leg market1501: {tmp_path} is not a file"


@pytest.mark.parametrize(
    "make", [_truncated, _not_a_state_dict, _folder], ids=["truncated", "tensor", "folder"]
)
def test_unreadable_checkpoint_is_refused(tiny_vit, tiny_world: Path, tmp_path: Path, cli, make) -> None:
    path, message = make(tmp_path, tiny_vit[1])
    assert_user_error(_run(cli, tiny_world, tmp_path, path), message)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")], ids=["nan", "inf"])
def test_non_finite_weights_are_refused(tiny_vit, tiny_world: Path, tmp_path: Path, cli, bad: float) -> None:
    state = _state_dict()
    state["blocks.1.attn.qkv.weight"][0, 0] = bad
    poisoned = tmp_path / "poisoned.pth"
    torch.save(state, poisoned)
    assert_user_error(
        _run(cli, tiny_world, tmp_path, poisoned), "1 tensor(s) with NaN/Inf: blocks.1.attn.qkv.weight"
    )


def test_sha256_mismatch_warns_and_notes_or_fails_under_strict(
    tiny_vit, tiny_world: Path, tmp_path: Path, cli
) -> None:
    write_card, checkpoint = tiny_vit
    write_card("ab" * 32)
    expected = f"checkpoint {checkpoint} has sha256"
    result = _run(cli, tiny_world, tmp_path, checkpoint)
    assert result.exit_code == 0, result.output
    logged = " ".join(result.output.split())  # the warning is logged (rich wraps it)
    assert "WARNING" in logged and "is not the published checkpoint" in logged and "pass --strict" in logged
    rec = record(tmp_path / "out", "tiny-vit", "single", "market1501")
    assert any("but method 'tiny-vit' lists " + "ab" * 32 in note for note in rec["notes"]), rec["notes"]

    assert_user_error(
        _run(cli, tiny_world, tmp_path / "strict", checkpoint, "--strict"), expected, "refused under --strict"
    )
    assert not (tmp_path / "strict" / "out" / "tiny-vit").exists()  # refused before any work
