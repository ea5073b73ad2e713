"""SOLIDER's mmcv-style Swin Transformer (``tinyvision/SOLIDER-REID@8c08e1c``).

Parameter names equal a SOLIDER-REID checkpoint after stripping ``module.`` and ``base.``:
``patch_embed.{projection,norm}``, ``stages.i.blocks.j.{norm1, attn.w_msa.{qkv, proj,
relative_position_bias_table, relative_position_index}, norm2, ffn.layers.{0.0,1}}``,
``stages.i.downsample.{norm, reduction}`` (unfold-based patch merging, ``4*C`` in unfold channel
order), stage output norms ``norm0..norm3`` and the SOLIDER modules ``semantic_embed_w.i`` /
``semantic_embed_b.i`` (``Linear(2, C)``). ``bottleneck``/``classifier`` are training-only.

Computation (``model/backbones/swin_transformer.py``): corner-padded patch embedding + LayerNorm;
shifted-window attention with padding of the token grid to multiples of ``window_size`` (384x128
gives a 96x32 grid) and the -100 shift mask; after each stage the tokens passed on are modulated
by the semantic weight ``w = [s, 1 - s]``: ``x * softplus(W_i w) + B_i w``. The embedding is the
global average pool of the last stage's output after ``norm3`` (``NECK_FEAT 'before'``).
``semantic_weight`` defaults to 0.2, the value every released SOLIDER-REID result uses (the code
default of 1.0 gives different embeddings). The official forward puts ``w`` on CUDA; here it is
created on the input's device.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from harness.models._config import FamilyConfig, check_image_batch

FAMILY = "solider-swin"


def _corner_pad(x: torch.Tensor, kernel: int, stride: int) -> torch.Tensor:
    """mmcv ``AdaptivePadding(padding='corner')``: pad bottom/right so the kernel tiles the input."""
    h, w = x.shape[-2:]
    out_h, out_w = math.ceil(h / stride), math.ceil(w / stride)
    pad_h = max((out_h - 1) * stride + (kernel - 1) + 1 - h, 0)
    pad_w = max((out_w - 1) * stride + (kernel - 1) + 1 - w, 0)
    if pad_h > 0 or pad_w > 0:
        x = F.pad(x, [0, pad_w, 0, pad_h])
    return x


class PatchEmbed(nn.Module):
    def __init__(self, dim: int, patch: int) -> None:
        super().__init__()
        self.patch = patch
        self.projection = nn.Conv2d(3, dim, kernel_size=patch, stride=patch)
        self.norm = nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, tuple[int, int]]:
        x = self.projection(_corner_pad(x, self.patch, self.patch))
        size = (x.shape[2], x.shape[3])
        return self.norm(x.flatten(2).transpose(1, 2)), size


class PatchMerging(nn.Module):
    """Unfold 2x2 neighbourhoods (channel order of ``nn.Unfold``), LayerNorm, bias-free linear."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.sampler = nn.Unfold(kernel_size=2, stride=2)
        self.norm = nn.LayerNorm(4 * in_channels)
        self.reduction = nn.Linear(4 * in_channels, out_channels, bias=False)

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> tuple[torch.Tensor, tuple[int, int]]:
        b, _, c = x.shape
        h, w = size
        x = _corner_pad(x.view(b, h, w, c).permute([0, 3, 1, 2]), 2, 2)
        h, w = x.shape[-2:]
        x = self.sampler(x).transpose(1, 2)
        return self.reduction(self.norm(x)), ((h - 2) // 2 + 1, (w - 2) // 2 + 1)


class WindowMSA(nn.Module):
    def __init__(self, dim: int, heads: int, window: int) -> None:
        super().__init__()
        self.window = window
        self.num_heads = heads
        self.scale = (dim // heads) ** -0.5
        self.relative_position_bias_table = nn.Parameter(torch.zeros((2 * window - 1) ** 2, heads))
        seq1 = torch.arange(0, (2 * window - 1) * window, 2 * window - 1)
        seq2 = torch.arange(0, window, 1)
        coords = (seq1[:, None] + seq2[None, :]).reshape(1, -1)
        self.register_buffer("relative_position_index", (coords + coords.T).flip(1).contiguous())
        self.qkv = nn.Linear(dim, dim * 3, bias=True)
        self.proj = nn.Linear(dim, dim)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * self.scale) @ k.transpose(-2, -1)
        ww = self.window * self.window
        bias = self.relative_position_bias_table[self.relative_position_index.view(-1)].view(ww, ww, -1)
        attn = attn + bias.permute(2, 0, 1).contiguous().unsqueeze(0)
        if mask is not None:
            nw = mask.shape[0]
            attn = attn.view(b // nw, nw, self.num_heads, n, n) + mask.unsqueeze(1).unsqueeze(0)
            attn = attn.view(-1, self.num_heads, n, n)
        attn = attn.softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, c))


class ShiftWindowMSA(nn.Module):
    def __init__(self, dim: int, heads: int, window: int, shift: int) -> None:
        super().__init__()
        self.window = window
        self.shift = shift
        self.w_msa = WindowMSA(dim, heads, window)

    def _partition(self, x: torch.Tensor) -> torch.Tensor:
        b, h, w, c = x.shape
        s = self.window
        x = x.view(b, h // s, s, w // s, s, c).permute(0, 1, 3, 2, 4, 5).contiguous()
        return x.view(-1, s, s, c)

    def _reverse(self, windows: torch.Tensor, h: int, w: int) -> torch.Tensor:
        s = self.window
        b = int(windows.shape[0] / (h * w / s / s))
        x = windows.view(b, h // s, w // s, s, s, -1)
        return x.permute(0, 1, 3, 2, 4, 5).contiguous().view(b, h, w, -1)

    def forward(self, query: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        b, _, c = query.shape
        h, w = size
        s = self.window
        query = query.view(b, h, w, c)
        pad_r = (s - w % s) % s
        pad_b = (s - h % s) % s
        query = F.pad(query, (0, 0, 0, pad_r, 0, pad_b))
        hp, wp = query.shape[1], query.shape[2]
        mask = None
        if self.shift > 0:
            query = torch.roll(query, shifts=(-self.shift, -self.shift), dims=(1, 2))
            img_mask = torch.zeros((1, hp, wp, 1), device=query.device)
            slices = (slice(0, -s), slice(-s, -self.shift), slice(-self.shift, None))
            cnt = 0
            for hs in slices:
                for ws in slices:
                    img_mask[:, hs, ws, :] = cnt
                    cnt += 1
            mw = self._partition(img_mask).view(-1, s * s)
            mask = mw.unsqueeze(1) - mw.unsqueeze(2)
            mask = mask.masked_fill(mask != 0, -100.0).masked_fill(mask == 0, 0.0)
        windows = self.w_msa(self._partition(query).view(-1, s * s, c), mask=mask)
        x = self._reverse(windows.view(-1, s, s, c), hp, wp)
        if self.shift > 0:
            x = torch.roll(x, shifts=(self.shift, self.shift), dims=(1, 2))
        if pad_r > 0 or pad_b:
            x = x[:, :h, :w, :].contiguous()
        return x.view(b, h * w, c)


class FFN(nn.Module):
    """mmcv FFN layout: ``layers.0.0`` (Linear) + GELU, ``layers.1`` (Linear), identity added."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.layers = nn.Sequential(
            nn.Sequential(nn.Linear(dim, hidden), nn.GELU(), nn.Dropout(0.0)),
            nn.Linear(hidden, dim),
            nn.Dropout(0.0),
        )

    def forward(self, x: torch.Tensor, identity: torch.Tensor) -> torch.Tensor:
        return identity + self.layers(x)


class SwinBlock(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int, window: int, shift: bool) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = ShiftWindowMSA(dim, heads, window, window // 2 if shift else 0)
        self.norm2 = nn.LayerNorm(dim)
        self.ffn = FFN(dim, hidden)

    def forward(self, x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
        x = self.attn(self.norm1(x), size) + x
        return self.ffn(self.norm2(x), identity=x)


class SwinStage(nn.Module):
    def __init__(
        self, dim: int, heads: int, depth: int, window: int, mlp_ratio: int, downsample: bool
    ) -> None:
        super().__init__()
        self.blocks = nn.ModuleList(
            [SwinBlock(dim, heads, mlp_ratio * dim, window, shift=i % 2 == 1) for i in range(depth)]
        )
        self.downsample = PatchMerging(dim, 2 * dim) if downsample else None

    def forward(
        self, x: torch.Tensor, size: tuple[int, int]
    ) -> tuple[torch.Tensor, tuple[int, int], torch.Tensor, tuple[int, int]]:
        for block in self.blocks:
            x = block(x, size)
        if self.downsample is not None:
            down, down_size = self.downsample(x, size)
            return down, down_size, x, size
        return x, size, x, size


class SoliderSwin(nn.Module):
    """SOLIDER Swin returning the average-pooled, ``norm3``-ed last-stage feature map."""

    def __init__(
        self,
        *,
        input_size: tuple[int, int],
        embed_dims: int,
        depths: tuple[int, ...],
        num_heads: tuple[int, ...],
        window_size: int,
        patch_size: int,
        mlp_ratio: int,
        semantic_weight: float,
        drop_keys: tuple[str, ...],
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.patch_embed = PatchEmbed(embed_dims, patch_size)
        n = len(depths)
        self.num_features = [embed_dims * 2**i for i in range(n)]
        self.stages = nn.ModuleList(
            [
                SwinStage(self.num_features[i], num_heads[i], depths[i], window_size, mlp_ratio, i < n - 1)
                for i in range(n)
            ]
        )
        for i in range(n):
            self.add_module(f"norm{i}", nn.LayerNorm(self.num_features[i]))
        self.semantic_weight = semantic_weight
        self.semantic_embed_w = nn.ModuleList()
        self.semantic_embed_b = nn.ModuleList()
        for i in range(n):
            j = min(i, n - 2)
            self.semantic_embed_w.append(nn.Linear(2, self.num_features[j + 1]))
            self.semantic_embed_b.append(nn.Linear(2, self.num_features[j + 1]))
        self.softplus = nn.Softplus()
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=0.02)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
        self.test_feature = "avgpool"
        self.training_only_keys = list(drop_keys)
        self.feature_dim = self.num_features[-1]
        self.needs_camids = False

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """Global average pool of ``norm3(last stage)`` (``camids`` ignored)."""
        check_image_batch(FAMILY, images, self.input_size)
        w = torch.ones(images.shape[0], 1) * self.semantic_weight
        weight = torch.cat([w, 1 - w], dim=-1).to(images.device)
        x, size = self.patch_embed(images)
        out, out_size = x, size
        last = len(self.stages) - 1
        for i, stage in enumerate(self.stages):
            x, size, out, out_size = stage(x, size)
            if i < last:  # the last stage's modulation feeds nothing (its output is taken before it)
                sw = self.semantic_embed_w[i](weight).unsqueeze(1)
                sb = self.semantic_embed_b[i](weight).unsqueeze(1)
                x = x * self.softplus(sw) + sb
        norm = getattr(self, f"norm{last}")
        fmap = norm(out).view(-1, *out_size, self.num_features[last]).permute(0, 3, 1, 2).contiguous()
        return torch.flatten(F.adaptive_avg_pool2d(fmap, (1, 1)), 1)

    def forward(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode_image(images, camids)


SIZES: dict[str, dict[str, Any]] = {
    "tiny": {"embed_dims": 96, "depths": [2, 2, 6, 2], "num_heads": [3, 6, 12, 24]},
    "small": {"embed_dims": 96, "depths": [2, 2, 18, 2], "num_heads": [3, 6, 12, 24]},
    "base": {"embed_dims": 128, "depths": [2, 2, 18, 2], "num_heads": [4, 8, 16, 32]},
}


def build(config: Mapping[str, Any]) -> SoliderSwin:
    """Build the SOLIDER Swin from a family config; ``size`` (tiny/small/base) sets the defaults."""
    cfg = FamilyConfig(FAMILY, config)
    size = SIZES[cfg.str("size", "base", choices=tuple(SIZES))]
    depths = cfg.int_list("depths", size["depths"])
    heads = cfg.int_list("num_heads", size["num_heads"], length=len(depths))
    cfg.str("test_feature", "avgpool", choices=("avgpool",))
    model = SoliderSwin(
        input_size=cfg.pair("input_size"),
        embed_dims=cfg.int("embed_dims", size["embed_dims"], minimum=1),
        depths=depths,
        num_heads=heads,
        window_size=cfg.int("window_size", 7, minimum=2),
        patch_size=cfg.int("patch_size", 4, minimum=1),
        mlp_ratio=cfg.int("mlp_ratio", 4, minimum=1),
        semantic_weight=cfg.float("semantic_weight", 0.2),
        drop_keys=cfg.str_list("drop_keys", ()),
    )
    return model.eval()
