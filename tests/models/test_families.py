"""Every family at a small configuration: embedding shape, dtype, tensor choice and input checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from harness.errors import ConfigError
from harness.models import FAMILIES
from tests.models._small import SMALL, SMALL_DIM


def build(name: str, **overrides: object) -> torch.nn.Module:
    torch.manual_seed(0)
    return FAMILIES.get(name)({**SMALL[name], **overrides})


def images(name: str, batch: int = 2) -> torch.Tensor:
    h, w = SMALL[name]["input_size"]
    return torch.randn(batch, 3, h, w, generator=torch.Generator().manual_seed(1))


@torch.no_grad()
def test_embedding_shape_and_dtype(family: str) -> None:
    model = build(family)
    out = model.encode_image(images(family, 3))
    assert out.shape == (3, SMALL_DIM[family]) == (3, model.feature_dim)
    assert out.dtype == torch.float32
    assert torch.isfinite(out).all()
    assert not model.needs_camids
    assert isinstance(model.training_only_keys, list)


@torch.no_grad()
def test_batch_independence(family: str) -> None:
    model = build(family, mask_mode="full") if family == "pat-vit" else build(family)
    x = images(family, 3)
    torch.testing.assert_close(model.encode_image(x)[1:2], model.encode_image(x[1:2]), rtol=1e-4, atol=1e-5)


def test_wrong_image_size_is_refused(family: str) -> None:
    with pytest.raises(ConfigError, match=rf"{family}.*expected images of shape"):
        build(family).encode_image(torch.zeros(1, 3, 8, 8))


def test_bad_config_names_the_key(family: str) -> None:
    with pytest.raises(ConfigError, match=rf"{family}.*'input_size'"):
        FAMILIES.get(family)({**SMALL[family], "input_size": "big"})
    with pytest.raises(ConfigError, match="required"):
        FAMILIES.get(family)({k: v for k, v in SMALL[family].items() if k != "input_size"})


@torch.no_grad()
@pytest.mark.parametrize("name", ["clip-vit", "transreid-vit"])
def test_sie_needs_camera_ids(name: str) -> None:
    model = build(name, sie_cameras=3)
    x = images(name)
    assert model.needs_camids
    with pytest.raises(ConfigError, match="camera ids"):
        model.encode_image(x)
    with pytest.raises(ConfigError, match=r"\[0, 2\]"):
        model.encode_image(x, torch.tensor([0, 3]))
    a = model.encode_image(x, torch.tensor([0, 1]))
    b = model.encode_image(x, torch.tensor([2, 1]))
    assert not torch.allclose(a[0], b[0]) and torch.allclose(a[1], b[1])


@torch.no_grad()
def test_clip_vit_taps() -> None:
    model = build("clip-vit")
    x = images("clip-vit")
    full = model.encode_image(x)
    cls = build("clip-vit", test_feature="cls").encode_image(x)
    proj = build("clip-vit", test_feature="proj").encode_image(x)
    torch.testing.assert_close(full, torch.cat([cls, proj], 1))
    feats, _feats_proj = model.tokens(x)
    torch.testing.assert_close(proj, (feats[:, 0] @ model.proj))
    normed = build("clip-vit", layer_norms=True)
    assert {"img_norm.weight", "img_norm_proj.bias"} <= set(normed.state_dict())


@torch.no_grad()
def test_transreid_jpm_concat() -> None:
    model = build("transreid-vit", jpm=True)
    out = model.encode_image(images("transreid-vit"))
    assert out.shape == (2, 5 * 32)
    torch.testing.assert_close(
        out[:, :32],
        build("transreid-vit", jpm=True, test_feature="cls").encode_image(images("transreid-vit")),
    )
    assert any(k.startswith("b2.0.attn.qkv") for k in model.state_dict())
    with pytest.raises(ConfigError, match="jpm"):
        build("transreid-vit", test_feature="jpm_concat")


@torch.no_grad()
def test_pat_mask_modes() -> None:
    x = images("pat-vit")
    stream = build("pat-vit", mask_seed=3)
    first, second = stream.encode_image(x), stream.encode_image(x)
    assert not torch.equal(first, second)  # a new random mask per call, as in the official code
    stream.reset_mask_rng()
    torch.testing.assert_close(stream.encode_image(x), first)
    fixed = build("pat-vit", mask_mode="fixed", mask_seed=3)
    torch.testing.assert_close(fixed.encode_image(x), fixed.encode_image(x))
    torch.testing.assert_close(fixed.encode_image(x), first)
    mask = build("pat-vit", mask_mode="full").next_mask()
    assert mask.shape == (8 * 4 + 4,) * 2 and mask.dtype == torch.bool


@torch.no_grad()
def test_dmf_single_stream_equals_dual_stream_with_the_same_image() -> None:
    model = build("dmf-vit")
    x = images("dmf-vit")
    torch.testing.assert_close(model.encode_image(x), model.forward_dual(x, x)[0], rtol=0, atol=0)


@torch.no_grad()
def test_solider_semantic_weight_matters() -> None:
    x = images("solider-swin")
    a = build("solider-swin").encode_image(x)
    b = build("solider-swin", semantic_weight=1.0).encode_image(x)
    assert not torch.allclose(a, b)
    assert build("solider-swin").semantic_weight == 0.2


@torch.no_grad()
def test_clip_text_tower_and_tokenizer() -> None:
    model = build("clip")
    ids = model.tokenize(["a woman in a red coat", "word " * 100])
    assert ids.shape == (2, 77) and ids.dtype == torch.long
    assert int(ids[1, -1]) == int(ids[0].max())  # truncated caption keeps EOT last
    out = model.encode_text(ids)
    assert out.shape == (2, model.text_feature_dim) and out.dtype == torch.float32
    with pytest.raises(ConfigError, match="token ids"):
        model.encode_text(ids[:, :10])


@torch.no_grad()
def test_clip_fp16_precision_follows_irra() -> None:
    model = build("clip", precision="fp16")
    assert model.visual.conv1.weight.dtype == torch.float16
    assert model.visual.proj.dtype == torch.float16 and model.text_projection.dtype == torch.float16
    assert model.visual.ln_post.weight.dtype == torch.float32
    assert model.visual.class_embedding.dtype == torch.float32
    assert model.encode_image(images("clip")).dtype == torch.float32
    assert (
        build("clip", precision="fp16", output_fp32=False).encode_image(images("clip")).dtype == torch.float16
    )


@torch.no_grad()
def test_cmmt_text_branch(tmp_path: Path) -> None:
    model = build("resnet50-bilstm")
    with pytest.raises(ConfigError, match="vocab_file"):
        model.tokenize(["a man"])
    vocab = tmp_path / "vocab.json"
    vocab.write_text(json.dumps({"a": 1, "man": 2, "in": 3, "red": 4, ",": 5, "<unk>": 6}))
    model = build("resnet50-bilstm", vocab_file=str(vocab))
    ids = model.tokenize(["A man in red, walking", "a man"])
    assert ids.tolist()[0][:6] == [1, 2, 3, 4, 5, 6] and ids.shape == (2, 10)
    out = model.encode_text(ids)
    assert out.shape == (2, 16)
    # Padding does not change a caption's embedding (max over valid tokens only).
    torch.testing.assert_close(model.encode_text(ids[1:]), out[1:], rtol=1e-5, atol=1e-6)
    with pytest.raises(ConfigError, match="no tokens"):
        model.encode_text(torch.zeros(1, 10, dtype=torch.long))
