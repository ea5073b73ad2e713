"""PAT, Part-Aware Transformer (``liyuke65535/Part-Aware-Transformer@104d42e``).

Parameter names equal a PAT checkpoint after stripping ``module.`` and ``base.``: ``cls_token``,
``part_token1..3``, ``pos_embed`` ``[1, rows*cols + 4, D]``, ``patch_embed.proj``,
``blocks.N.{norm1, part_attn.qkv, part_attn.proj, norm2, mlp.fc1, mlp.fc2}``, ``norm``; the
ImageNet head ``fc`` and ``bottleneck``/``classifier`` are training-only (``drop_keys``).

Computation (``model/backbones/vit_pytorch.py:part_Attention_ViT``): tokens
``[cls, part1, part2, part3, patches] + pos_embed``; every block uses masked "part attention":
``softmax(masked_fill(q k^T * scale, ~mask, -1e3)) * mask``. The mask lets CLS and patch tokens
attend to each other and each part token attend to CLS and to a random sub-rectangle of the
upper / middle / lower half of the patch grid. The embedding is ``norm(tokens)[:, 0]`` after the
last block (``NECK_FEAT 'before'``).

The official code draws a new random mask on every forward pass, at test time too, from Python's
global ``random`` without seeding it. Here the draws come from a private ``random.Random`` seeded
with ``mask_seed``, calling ``sample`` in the official order, so a seeded run is repeatable and
equals the official code run after ``random.seed(mask_seed)``. ``mask_mode``:

* ``random`` (default): a fresh draw per ``encode_image`` call, as the official code does;
* ``fixed``: the generator is reseeded on every call, so every batch uses the same draw;
* ``full``: the deterministic rectangles of the official code's commented-out "for test" line.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from harness.models._config import FamilyConfig, check_image_batch, vit_geometry
from harness.models._vit import Attention, Mlp, PatchEmbedOverlap, init_vit_weights, layer_norm

FAMILY = "pat-vit"
MASK_MODES = ("random", "fixed", "full")


class PartAttention(Attention):
    """Attention with PAT's multiplicative-and-filled mask."""

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        q, k, v = self.split_qkv(x)
        b, _, n, _ = q.shape
        attn = (q @ k.transpose(-2, -1)) * self.scale
        attn = attn.masked_fill(~mask.bool(), torch.tensor(-1e3, dtype=torch.float16))
        attn = attn.softmax(dim=-1)
        attn = torch.mul(attn, mask)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, -1))


class PartBlock(nn.Module):
    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = layer_norm(dim)
        self.part_attn = PartAttention(dim, heads, qkv_bias=True)
        self.norm2 = layer_norm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.part_attn(self.norm1(x), mask)
        return x + self.mlp(self.norm2(x))


def part_mask(
    rng: random.Random | None,
    rows: int,
    cols: int,
    left: float,
    top: float,
    width: float,
    height: float,
    part: int,
) -> torch.Tensor:
    """PAT's ``generate_2d_mask`` (``cls_label=False``); ``rng=None`` gives the full rectangle."""
    rows, cols, left_i, top_i, width_i, height_i = (
        int(rows),
        int(cols),
        int(left),
        int(top),
        int(width),
        int(height),
    )
    if rng is None:
        x0, x1, y0, y1 = left_i, left_i + width_i, top_i, top_i + height_i
    else:
        x0, x1 = sorted(rng.sample(range(left_i, left_i + width_i + 1), 2))
        y0, y1 = sorted(rng.sample(range(top_i, top_i + height_i + 1), 2))
    grid = torch.zeros([rows, cols])
    grid[y0 : y1 + 1, x0 : x1 + 1] = 1
    flat = torch.zeros([rows * cols + 4])
    flat[4:] = grid.flatten(0)
    flat[part] = 1
    flat[0] = 0
    flat = flat.unsqueeze(1)
    return flat @ flat.t()


def attention_mask(rng: random.Random | None, rows: int, cols: int) -> torch.Tensor:
    """PAT's ``attn_mask_generate``: a boolean ``[N, N]`` mask with ``N = rows*cols + 4``."""
    n = rows * cols + 4
    base = torch.ones(n, 1)
    base[1:4, 0] = 0
    mask = (base @ base.t()).bool()
    mask |= part_mask(rng, rows, cols, 0, 0, cols, rows / 2, 1).bool()
    mask |= part_mask(rng, rows, cols, 0, rows / 4, cols, rows / 2, 2).bool()
    mask |= part_mask(rng, rows, cols, 0, rows / 2, cols, rows / 2, 3).bool()
    mask[1:4, 0] = True
    mask[0, 1:4] = True
    return mask


class PATViT(nn.Module):
    """PAT backbone returning the final-layer CLS token after ``norm``."""

    def __init__(
        self,
        *,
        input_size: tuple[int, int],
        patch_size: int,
        stride_size: int,
        embed_dim: int,
        depth: int,
        heads: int,
        mlp_ratio: float,
        mask_mode: str,
        mask_seed: int,
        drop_keys: tuple[str, ...],
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.patch_embed = PatchEmbedOverlap(input_size, patch_size, stride_size, embed_dim)
        self.num_tokens = self.patch_embed.num_patches + 4
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.part_token1 = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.part_token2 = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.part_token3 = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.num_tokens, embed_dim))
        self.blocks = nn.ModuleList([PartBlock(embed_dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = layer_norm(embed_dim)
        for p in (self.cls_token, self.part_token1, self.part_token2, self.part_token3, self.pos_embed):
            nn.init.trunc_normal_(p, std=0.02)
        self.apply(init_vit_weights)
        self.mask_mode = mask_mode
        self.mask_seed = mask_seed
        self._rng = random.Random(mask_seed)
        self.test_feature = "cls"
        self.training_only_keys = list(drop_keys)
        self.feature_dim = embed_dim
        self.needs_camids = False

    def reset_mask_rng(self) -> None:
        """Restart the mask draws from ``mask_seed`` (the state a fresh model starts in)."""
        self._rng = random.Random(self.mask_seed)

    def next_mask(self) -> torch.Tensor:
        """The boolean ``[N, N]`` part-attention mask the next forward pass uses."""
        if self.mask_mode == "full":
            return attention_mask(None, self.patch_embed.num_y, self.patch_embed.num_x)
        if self.mask_mode == "fixed":
            self.reset_mask_rng()
        return attention_mask(self._rng, self.patch_embed.num_y, self.patch_embed.num_x)

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """CLS token of the last block after ``norm`` (``camids`` ignored)."""
        check_image_batch(FAMILY, images, self.input_size)
        b = images.shape[0]
        x = self.patch_embed(images)
        parts = [
            t.expand(b, -1, -1)
            for t in (self.cls_token, self.part_token1, self.part_token2, self.part_token3)
        ]
        x = torch.cat((*parts, x), dim=1) + self.pos_embed
        mask = torch.ones([b, 1, self.num_tokens, self.num_tokens], device=x.device)
        mask[:, 0] = self.next_mask().to(x.device)
        for blk in self.blocks:
            x = blk(x, mask)
        return self.norm(x)[:, 0]

    def forward(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode_image(images, camids)


def build(config: Mapping[str, Any]) -> PATViT:
    """Build the PAT ViT from a family config (random init, no ImageNet weights)."""
    cfg = FamilyConfig(FAMILY, config)
    cfg.str("test_feature", "cls", choices=("cls",))
    model = PATViT(
        **vit_geometry(cfg),
        mask_mode=cfg.str("mask_mode", "random", choices=MASK_MODES),
        mask_seed=cfg.int("mask_seed", 0),
        drop_keys=cfg.str_list("drop_keys", ()),
    )
    return model.eval()
