"""ViT building blocks in the timm / TransReID parameter layout, computed as TransReID does.

Names (``patch_embed.proj``, ``blocks.N.norm1``, ``attn.qkv``, ``attn.proj``, ``norm2``,
``mlp.fc1``, ``mlp.fc2``) and arithmetic follow ``damo-cv/TransReID@dec5504:
model/backbones/vit_pytorch.py`` (shared verbatim by PAT and DMF): explicit ``softmax(q k^T *
scale) v`` attention, exact-erf GELU, LayerNorm ``eps=1e-6``, and an overlapping patch embedding
(a conv with ``stride = stride_size`` and a bias). Drop-path and dropout are identity at test
time and are omitted.
"""

from __future__ import annotations

import torch
from torch import nn

from harness.models._config import grid_size

LN_EPS = 1e-6


def layer_norm(dim: int) -> nn.LayerNorm:
    return nn.LayerNorm(dim, eps=LN_EPS)


class Mlp(nn.Module):
    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(self.act(self.fc1(x)))


class Attention(nn.Module):
    """Multi-head self-attention with a fused ``qkv`` projection (timm names)."""

    def __init__(self, dim: int, heads: int, qkv_bias: bool = True) -> None:
        super().__init__()
        self.num_heads = heads
        self.scale = (dim // heads) ** -0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def split_qkv(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        b, n, c = x.shape
        qkv = self.qkv(x).reshape(b, n, 3, self.num_heads, c // self.num_heads).permute(2, 0, 3, 1, 4)
        return qkv[0], qkv[1], qkv[2]

    def attend(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        b, _, n, _ = q.shape
        attn = ((q @ k.transpose(-2, -1)) * self.scale).softmax(dim=-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(b, n, -1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.attend(*self.split_qkv(x))


class Block(nn.Module):
    """Pre-norm transformer block: ``x + attn(norm1(x))``, ``x + mlp(norm2(x))``."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float = 4.0, qkv_bias: bool = True) -> None:
        super().__init__()
        self.norm1 = layer_norm(dim)
        self.attn = Attention(dim, heads, qkv_bias)
        self.norm2 = layer_norm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))
        return x + self.mlp(self.norm2(x))


class PatchEmbedOverlap(nn.Module):
    """TransReID's ``PatchEmbed_overlap``: conv ``patch x patch`` with ``stride``, flattened."""

    def __init__(self, input_size: tuple[int, int], patch_size: int, stride_size: int, dim: int) -> None:
        super().__init__()
        self.num_y, self.num_x = grid_size(input_size, patch_size, stride_size)
        self.num_patches = self.num_y * self.num_x
        self.proj = nn.Conv2d(3, dim, kernel_size=patch_size, stride=stride_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.proj(x).flatten(2).transpose(1, 2)


def init_vit_weights(module: nn.Module) -> None:
    """TransReID's ``_init_weights`` (truncated normal linears, unit LayerNorms); random init only."""
    if isinstance(module, nn.Linear):
        nn.init.trunc_normal_(module.weight, std=0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
