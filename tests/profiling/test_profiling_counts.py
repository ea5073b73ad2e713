"""Profiling numbers for known small models, hand-computed."""

from __future__ import annotations

import time

import pytest
import torch
from torch import nn

from harness.methods.adapter import MethodAdapter, WeightsInfo
from harness.methods.registry import get_card
from harness.profiling.flops import count_flops
from harness.profiling.params import count_parameters, tower_parameters
from harness.profiling.profile import ProfileSettings, profile_method
from harness.profiling.timing import measure


def _tiny_vit():
    from timm.models.vision_transformer import VisionTransformer

    return VisionTransformer(
        img_size=(32, 16),
        patch_size=8,
        embed_dim=16,
        depth=1,
        num_heads=2,
        mlp_ratio=2,
        num_classes=0,
        global_pool="token",
    ).eval()


class TwoTowers(nn.Module):
    """A ViT image tower and a bag-of-tokens text tower sharing nothing but ``scale``."""

    def __init__(self) -> None:
        super().__init__()
        self.visual = _tiny_vit()
        self.embed = nn.Embedding(50, 16)
        self.text_proj = nn.Linear(16, 16, bias=False)
        self.scale = nn.Parameter(torch.ones(1))
        self.unused_head = nn.Linear(16, 751)

    def encode_image(self, images, camids=None):
        return self.visual(images) * self.scale

    def tokenize(self, texts):
        return torch.tensor(
            [[len(w) % 50 for w in t.split()][:8] + [0] * (8 - len(t.split()[:8])) for t in texts]
        )

    def encode_text(self, tokens):
        return self.text_proj(self.embed(tokens).mean(1)) * self.scale


def _adapter(model) -> MethodAdapter:
    card = get_card("hsv-hist").model_copy(
        update={"name": "tiny", "modalities": ("image", "text"), "input_size": (32, 16)}
    )
    return MethodAdapter(
        card, model, variant=None, weights=WeightsInfo(kind="random-init"), device=torch.device("cpu")
    )


def test_linear_layer_flops_are_2mkn() -> None:
    layer = nn.Linear(8, 4)
    count = count_flops(lambda: layer(torch.zeros(3, 8)))
    assert count.total == 2 * 3 * 8 * 4  # the bias is not counted
    assert count.by_op == {"addmm": 192}
    assert "1 multiply-add = 2 FLOPs" in count.convention


def test_tiny_vit_flops_include_attention_on_cpu() -> None:
    vit = _tiny_vit()
    count = count_flops(lambda: vit(torch.zeros(1, 3, 32, 16)))
    tokens, dim, heads, head_dim, hidden = 9, 16, 2, 8, 32  # 4x2 patches + CLS
    patch = 2 * dim * (3 * 8 * 8) * 8
    qkv = 2 * tokens * dim * 3 * dim
    attention = 2 * (2 * heads * tokens * tokens * head_dim)  # QK^T and AV
    proj = 2 * tokens * dim * dim
    mlp = 2 * (2 * tokens * dim * hidden)
    assert count.total == patch + qkv + attention + proj + mlp == 91200
    assert count.by_op["_scaled_dot_product_flash_attention_for_cpu"] == attention


def test_tower_parameters_follow_autograd() -> None:
    model = TwoTowers()
    towers = tower_parameters(_adapter(model))
    visual = count_parameters(model.visual)
    assert towers["image"] == visual + 1  # + the shared scale
    assert towers["text"] == 50 * 16 + 16 * 16 + 1
    assert towers["total"] == visual + 50 * 16 + 16 * 16 + 1 + 16 * 751 + 751
    assert all(p.grad is None for p in model.parameters())  # nothing left behind


def test_measure_times_real_work_on_cpu() -> None:
    result = measure(lambda: time.sleep(0.01), device="cpu", items=4, warmup=1, iters=3)
    assert result.clock == "perf_counter" and len(result.times_s) == 3
    assert 0.01 <= result.median_s < 0.5
    assert result.items_per_s == pytest.approx(4 / result.median_s)


def test_profile_method_block_is_complete() -> None:
    cost = profile_method(
        _adapter(TwoTowers()), ProfileSettings(batch_size=4, iters=2, warmup=1, test_images=100)
    )
    assert cost["flops_per_image"]["flops"] == 91200
    assert cost["flops_per_text"]["flops"] == 2 * 16 * 16  # text_proj on one pooled token vector
    assert cost["params"]["image"] > 0 and cost["params"]["text"] == 50 * 16 + 16 * 16 + 1
    assert cost["throughput_image"]["batch"] == 4 and cost["throughput_image"]["items_per_s"] > 0
    assert cost["test_set"]["compute_s"] == pytest.approx(100 / cost["throughput_image"]["items_per_s"])


def test_profile_cli_prints_table_and_writes_json(cli, tmp_path) -> None:
    import json

    from harness.cli.app import app

    result = cli.invoke(
        app,
        [
            "profile",
            "-m",
            "hsv-hist",
            "--input",
            "64x32",
            "--iters",
            "2",
            "--warmup",
            "0",
            "--batch-size",
            "2",
            "--device",
            "cpu",
            "--json",
            str(tmp_path / "c.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    cost = json.loads((tmp_path / "c.json").read_text())
    assert cost["input_size"] == [64, 32] and cost["params"]["total"] == 0
    bad = cli.invoke(app, ["profile", "-m", "hsv-hist", "--input", "64by32"])
    assert bad.exit_code == 2 and "HEIGHTxWIDTH" in bad.output


def test_text_embeddings_are_cached_by_text_and_role(tmp_path) -> None:
    import numpy as np

    from harness.cache.store import EmbeddingStore
    from harness.engine.encoder import encode_texts

    method = _adapter(TwoTowers())
    store = EmbeddingStore(tmp_path)
    texts = [f"a person in a {c} shirt" for c in ("red", "blue", "green", "long white")]
    first = encode_texts(method, texts, role="query", store=store, batch_size=3, chunk_rows=2)
    assert first.status == "miss" and first.chunks_total == 2 and first.features.shape == (4, 16)
    again = encode_texts(method, texts, role="query", store=store)
    assert again.status == "hit" and np.array_equal(again.features, first.features)
    assert encode_texts(method, texts, role="gallery", store=store).key != first.key
    assert encode_texts(method, texts[::-1], role="query", store=store).status == "miss"
    direct = method.encode_text(texts).numpy()
    assert np.allclose(first.features, direct, atol=1e-6)
