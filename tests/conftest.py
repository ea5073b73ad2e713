"""Shared fixtures: the tiny synthetic world (written once per session), a CLI runner, and small
CLIP-family method cards (random init) registered through ``$HARNESS_METHOD_PATH`` for the text and
profiling tests: ``tiny-irra`` declares IRRA's mask token id, ``tiny-clip`` none."""

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


TINY_TEXT_CARD = """
name: {name}
title: small two-tower CLIP for tests
family: clip
family_config:
  input_size: [32, 16]
  patch_size: 8
  width: 32
  layers: 2
  heads: 2
  output_dim: 16
  context_length: 77
  vocab_size: 49408
  text_width: 32
  text_layers: 2
  text_heads: 2
{extra}modalities: [image, text]
input_size: [32, 16]
mean: [0.48145466, 0.4578275, 0.40821073]
std: [0.26862954, 0.26130258, 0.27577711]
test_feature: 'image: CLS @ proj; text: EOT @ text_projection'
distance: cosine
weights_free: false
checkpoints:
  default: {{file: tiny.pth}}
"""


@pytest.fixture()
def tiny_text_cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry) -> Path:
    """Register ``tiny-irra`` (``mask_token_id: 49405``) and ``tiny-clip`` (no mask token)."""
    from harness.methods import METHODS

    folder = tmp_path / "cards"
    for name, extra in (("tiny-irra", "  mask_token_id: 49405\n"), ("tiny-clip", "")):
        (folder / name).mkdir(parents=True)
        (folder / name / "method.yaml").write_text(TINY_TEXT_CARD.format(name=name, extra=extra))
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(folder))
    reset_registry(METHODS)
    return folder
