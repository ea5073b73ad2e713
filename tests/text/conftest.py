"""Small CLIP-family method cards (random init) for the text tests, registered through
``$HARNESS_METHOD_PATH``: ``tiny-irra`` declares IRRA's mask token id, ``tiny-clip`` none."""

from __future__ import annotations

from pathlib import Path

import pytest

CARD = """
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
        (folder / name / "method.yaml").write_text(CARD.format(name=name, extra=extra))
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(folder))
    reset_registry(METHODS)
    return folder
