"""DMF's dual-stream "Transcross" ViT (``JeremyXSC/DMF@0c406cf:model/backbones/vit_pytorch.py``).

Parameter names equal a DMF checkpoint after stripping ``module.`` and ``base.``:
``patch_embed.proj``, ``cls_token``, ``pos_embed``, ``blocks.N.{norm1, attn.qkv, attn.proj, norm2,
mlp.fc1, mlp.fc2}``, ``norm``; ``fc``, ``bottleneck`` and ``classifier`` are training-only.

``Block_cross`` is reproduced exactly as the code computes it, including what looks like a bug:
both streams share the weights; the block input is *replaced* by ``norm1(x)`` (no residual around
attention) and the attention output is added to itself (``a + drop_path(a)``, i.e. ``2a`` at test
time); stream t uses stream s's queries (``attn(q_s, k_t, v_t)``); then the usual MLP residual.
Stream s never reads stream t, so with the test-time input ``(img, img)`` (``do_train_cross``) the
embedding, stream 0's ``norm(x)[:, 0]`` (``NECK_FEAT 'before'``), depends on stream 0 alone;
:meth:`DMFViT.encode_image` computes just that stream and :meth:`DMFViT.forward_dual` computes both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from harness.models._config import FamilyConfig, check_image_batch, vit_geometry
from harness.models._vit import Attention, Mlp, PatchEmbedOverlap, init_vit_weights, layer_norm

FAMILY = "dmf-vit"


class CrossBlock(nn.Module):
    """``Block_cross`` of DMF (see the module docstring for its exact arithmetic)."""

    def __init__(self, dim: int, heads: int, mlp_ratio: float) -> None:
        super().__init__()
        self.norm1 = layer_norm(dim)
        self.attn = Attention(dim, heads, qkv_bias=True)
        self.norm2 = layer_norm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio))

    def forward_source(self, xs: torch.Tensor) -> torch.Tensor:
        """The source stream alone (it does not depend on the target stream)."""
        a = self.attn(self.norm1(xs))
        xs = a + a
        return xs + self.mlp(self.norm2(xs))

    def forward(self, xs: torch.Tensor, xt: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        qs, ks, vs = self.attn.split_qkv(self.norm1(xs))
        _, kt, vt = self.attn.split_qkv(self.norm1(xt))
        a_s = self.attn.attend(qs, ks, vs)
        a_t = self.attn.attend(qs, kt, vt)
        xs, xt = a_s + a_s, a_t + a_t
        return xs + self.mlp(self.norm2(xs)), xt + self.mlp(self.norm2(xt))


class DMFViT(nn.Module):
    """Transcross backbone; ``encode_image`` gives stream 0's CLS after ``norm`` for ``(img, img)``."""

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
        drop_keys: tuple[str, ...],
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.patch_embed = PatchEmbedOverlap(input_size, patch_size, stride_size, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, embed_dim))
        self.blocks = nn.ModuleList([CrossBlock(embed_dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = layer_norm(embed_dim)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.apply(init_vit_weights)
        self.test_feature = "cls"
        self.training_only_keys = list(drop_keys)
        self.feature_dim = embed_dim
        self.needs_camids = False

    def _embed(self, images: torch.Tensor) -> torch.Tensor:
        x = self.patch_embed(images)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        return x + self.pos_embed

    def forward_dual(self, source: torch.Tensor, target: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Both streams' CLS after ``norm``, as ``Transcross.forward((source, target))``."""
        xs, xt = self._embed(source), self._embed(target)
        for blk in self.blocks:
            xs, xt = blk(xs, xt)
        return self.norm(xs)[:, 0], self.norm(xt)[:, 0]

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """Stream-0 CLS after ``norm`` for the input ``(images, images)`` (``camids`` ignored)."""
        check_image_batch(FAMILY, images, self.input_size)
        x = self._embed(images)
        for blk in self.blocks:
            x = blk.forward_source(x)
        return self.norm(x)[:, 0]

    def forward(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode_image(images, camids)


def build(config: Mapping[str, Any]) -> DMFViT:
    """Build DMF's Transcross ViT from a family config (random init, no pretrained weights)."""
    cfg = FamilyConfig(FAMILY, config)
    cfg.str("test_feature", "cls", choices=("cls",))
    model = DMFViT(
        **vit_geometry(cfg),
        drop_keys=cfg.str_list("drop_keys", ()),
    )
    return model.eval()
