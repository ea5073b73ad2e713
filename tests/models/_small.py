"""Small configurations of every family: the same code path as full size, fast on CPU."""

from __future__ import annotations

from typing import Any

SMALL: dict[str, dict[str, Any]] = {
    "clip-vit": dict(
        input_size=[32, 16], patch_size=8, stride_size=6, width=32, layers=2, heads=2, output_dim=16
    ),
    "clip": dict(
        input_size=[32, 16],
        patch_size=8,
        width=32,
        layers=2,
        heads=2,
        output_dim=16,
        text_width=32,
        text_layers=2,
        text_heads=2,
    ),
    "transreid-vit": dict(input_size=[32, 16], patch_size=8, stride_size=6, embed_dim=32, depth=3, heads=2),
    "pat-vit": dict(input_size=[64, 32], patch_size=8, embed_dim=32, depth=2, heads=2),
    "dmf-vit": dict(input_size=[32, 16], patch_size=8, embed_dim=32, depth=2, heads=2),
    "solider-swin": dict(
        input_size=[72, 40], embed_dims=8, depths=[2, 2, 2, 2], num_heads=[1, 2, 2, 4], window_size=3
    ),
    "resnet50-bilstm": dict(
        input_size=[64, 32],
        resnet_layers=[1, 1, 1, 1],
        vocab_size=50,
        embedding_size=16,
        lstm_units=8,
        feature_size=16,
        max_length=10,
    ),
}

# Embedding width each small config must produce (documented test feature).
SMALL_DIM = {
    "clip-vit": 32 + 16,
    "clip": 16,
    "transreid-vit": 32,
    "pat-vit": 32,
    "dmf-vit": 32,
    "solider-swin": 64,
    "resnet50-bilstm": 16,
}
