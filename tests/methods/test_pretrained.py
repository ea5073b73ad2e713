"""Library weights (``pretrained:`` in a card) for zero-shot baselines: downloaded, then loaded strictly."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.checkpoints import sha256_file, write_state_dict
from harness.errors import CheckpointError
from harness.methods import METHODS, get_card, load_method
from harness.weights import resolve_weights

SMALL_CLIP = """
name: tiny-zeroshot
title: small two-tower CLIP with library weights
family: clip
family_config: {input_size: [32, 16], patch_size: 8, width: 32, layers: 2, heads: 2, output_dim: 16,
  context_length: 77, vocab_size: 49408, text_width: 32, text_layers: 2, text_heads: 2}
modalities: [image, text]
input_size: [32, 16]
test_feature: 'image: CLS @ proj; text: EOT @ text_projection'
distance: cosine
checkpoints:
  default: {file: open_clip_pytorch_model.bin}
pretrained: {library: open_clip, model: ViT-B-16-quickgelu, tag: openai}
"""


@pytest.fixture()
def zeroshot_card(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry) -> str:
    (tmp_path / "cards" / "tiny-zeroshot").mkdir(parents=True)
    (tmp_path / "cards" / "tiny-zeroshot" / "method.yaml").write_text(SMALL_CLIP)
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(tmp_path / "cards"))
    reset_registry(METHODS)
    return "tiny-zeroshot"


def test_builtin_clip_card_names_open_clip_weights() -> None:
    card = get_card("clip")
    assert card.pretrained is not None
    assert (card.pretrained.library, card.pretrained.model, card.pretrained.tag) == (
        "open_clip",
        "ViT-B-16-quickgelu",
        "openai",
    )


def test_offline_download_fails_before_any_work_saying_what_to_pass(zeroshot_card, monkeypatch) -> None:
    import open_clip.pretrained

    def offline(cfg, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(open_clip.pretrained, "download_pretrained", offline)
    card = get_card(zeroshot_card)
    with pytest.raises(CheckpointError) as info:
        resolve_weights(card, ["cuhk-pedes"])
    message = str(info.value)
    assert "could not download open_clip weights ViT-B-16-quickgelu/openai (OSError: no network)" in message
    assert "pass --weights PATH to a local copy (expected file: open_clip_pytorch_model.bin)" in message


def test_downloaded_file_goes_through_the_strict_safe_loader(zeroshot_card, monkeypatch, tmp_path) -> None:
    import open_clip.pretrained

    reference = load_method(zeroshot_card, device="cpu", random_init=True)
    downloaded = write_state_dict(
        tmp_path / "hub" / "open_clip_pytorch_model.bin", reference.model.state_dict()
    )
    monkeypatch.setattr(open_clip.pretrained, "download_pretrained", lambda cfg, **kw: str(downloaded))
    assert resolve_weights(get_card(zeroshot_card), ["leg"]) == {"leg": downloaded}
    method = load_method(zeroshot_card, device="cpu")
    assert method.weights.kind == "checkpoint" and method.weights.reportable
    assert method.weights.sha256 == sha256_file(downloaded)
    texts = ["a person in a red shirt"]
    assert method.encode_text(texts).tolist() == reference.encode_text(texts).tolist()
