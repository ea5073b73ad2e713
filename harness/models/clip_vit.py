"""CLIP ViT image tower in the OpenAI parameter layout, and the CLIP-ReID-style image model.

Layout and computation follow OpenAI CLIP's ``VisionTransformer`` as modified by CLIP-ReID
(``Syliz517/CLIP-ReID@eb1898b:model/clip/model.py``, copied unchanged by CMDG and CLIP-FGDI) and
IRRA (``anosorae/IRRA@cfc2378:model/clip_model.py``):

* non-square token grid ``((H - patch) // stride + 1, (W - patch) // stride + 1)``; ``conv1`` has
  ``stride = stride_size`` (12 for CLIP-ReID's "OLP" variant) and no bias;
* pre-LN residual blocks with ``nn.MultiheadAttention`` (sequence-first), QuickGELU MLP
  (``c_fc``/``c_proj``) and a LayerNorm that computes in fp32 and casts back (fp16 checkpoints);
* ``ln_post`` is applied to all tokens and ``proj`` to all tokens; the CLS row is taken after.
* SIE (CLIP-ReID): ``cv_embed[cam] * sie_coe`` is added to the CLS token *before* the positional
  embedding (``build_transformer.forward`` / ``VisionTransformer.forward``).

``build(config)`` returns :class:`ClipReIDImageModel`, whose ``state_dict`` equals a CLIP-ReID /
CLIP-FGDI / CMDG checkpoint after stripping ``module.`` and ``image_encoder.`` (plus ``cv_embed``
for SIE and ``img_norm``/``img_norm_proj`` for CMDG). ``test_feature``:

* ``cls_proj_concat`` (CLIP-ReID, FGDI, CMDG; ``NECK_FEAT "before"``):
  ``[ln_post(CLS), ln_post(CLS) @ proj]``;
* ``cls``: ``ln_post(CLS)`` (width); ``proj``: ``ln_post(CLS) @ proj`` (output_dim).

With ``layer_norms: true`` (CMDG) the two taps pass through ``img_norm`` (width) and
``img_norm_proj`` (output_dim), plain fp32 ``nn.LayerNorm`` as in ``CMDG-ReID/models/CLIP.py``.
The network takes the official test transform's output as is: CMDG's and CLIP-FGDI's
``nn.InstanceNorm2d(3, affine=False)`` belongs to their test transform, so it is the card's
``normalization: instance`` (the adapter's ``preprocess``), never part of this model.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from harness.errors import ConfigError
from harness.models._config import FamilyConfig, check_camids, check_image_batch, grid_size

FAMILY = "clip-vit"


class LayerNorm(nn.LayerNorm):
    """OpenAI CLIP's LayerNorm: compute in fp32, return the input dtype."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        orig_type = x.dtype
        return super().forward(x.type(torch.float32)).type(orig_type)


class QuickGELU(nn.Module):
    """``x * sigmoid(1.702 x)``, the activation OpenAI CLIP was trained with."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


class ResidualAttentionBlock(nn.Module):
    """OpenAI CLIP block: ``x + attn(ln_1(x))`` then ``x + mlp(ln_2(x))`` on ``[L, N, D]`` input."""

    def __init__(
        self, width: int, heads: int, attn_mask: torch.Tensor | None = None, need_weights: bool = False
    ) -> None:
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = LayerNorm(width)
        self.mlp = nn.Sequential(
            OrderedDict(
                [
                    ("c_fc", nn.Linear(width, width * 4)),
                    ("gelu", QuickGELU()),
                    ("c_proj", nn.Linear(width * 4, width)),
                ]
            )
        )
        self.ln_2 = LayerNorm(width)
        self.attn_mask = attn_mask
        self.need_weights = need_weights

    def attention(self, x: torch.Tensor) -> torch.Tensor:
        mask = self.attn_mask.to(dtype=x.dtype, device=x.device) if self.attn_mask is not None else None
        return self.attn(x, x, x, need_weights=self.need_weights, attn_mask=mask)[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attention(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class Transformer(nn.Module):
    """A stack of :class:`ResidualAttentionBlock` named ``resblocks`` (OpenAI layout)."""

    def __init__(
        self,
        width: int,
        layers: int,
        heads: int,
        attn_mask: torch.Tensor | None = None,
        need_weights: bool = False,
    ) -> None:
        super().__init__()
        self.width = width
        self.layers = layers
        self.resblocks = nn.Sequential(
            *[ResidualAttentionBlock(width, heads, attn_mask, need_weights) for _ in range(layers)]
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.resblocks(x)


class CLIPVisionTower(nn.Module):
    """OpenAI-layout ViT image tower with a non-square grid and a configurable conv stride."""

    def __init__(
        self,
        input_size: tuple[int, int],
        patch_size: int,
        stride_size: int,
        width: int,
        layers: int,
        heads: int,
        output_dim: int,
        need_weights: bool = False,
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.grid = grid_size(input_size, patch_size, stride_size)
        self.width = width
        self.output_dim = output_dim
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=stride_size, bias=False)
        scale = width**-0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn(self.grid[0] * self.grid[1] + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, need_weights=need_weights)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def tokens(
        self, x: torch.Tensor, cls_offset: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(ln_post(tokens), ln_post(tokens) @ proj)``, both ``[B, 1 + rows*cols, *]``."""
        x = self.conv1(x.type(self.conv1.weight.dtype))
        x = x.reshape(x.shape[0], x.shape[1], -1).permute(0, 2, 1)
        cls = self.class_embedding.to(x.dtype) + torch.zeros(
            x.shape[0], 1, x.shape[-1], dtype=x.dtype, device=x.device
        )
        x = torch.cat([cls, x], dim=1)
        if cls_offset is not None:
            x[:, 0] = x[:, 0] + cls_offset
        x = x + self.positional_embedding.to(x.dtype)
        x = self.ln_pre(x)
        x = self.transformer(x.permute(1, 0, 2)).permute(1, 0, 2)
        x = self.ln_post(x)
        return x, x @ self.proj


TEST_FEATURES = ("cls_proj_concat", "cls", "proj")


class ClipReIDImageModel(CLIPVisionTower):
    """CLIP-ReID / CLIP-FGDI / CMDG image model: the tower's parameters at top level, plus SIE/LNs."""

    def __init__(
        self,
        *,
        input_size: tuple[int, int],
        patch_size: int,
        stride_size: int,
        width: int,
        layers: int,
        heads: int,
        output_dim: int,
        sie_cameras: int = 0,
        sie_coe: float = 1.0,
        layer_norms: bool = False,
        test_feature: str = "cls_proj_concat",
        drop_keys: tuple[str, ...] = (),
    ) -> None:
        super().__init__(input_size, patch_size, stride_size, width, layers, heads, output_dim)
        self.sie_cameras = sie_cameras
        self.sie_coe = sie_coe
        if sie_cameras > 0:
            self.cv_embed = nn.Parameter(torch.zeros(sie_cameras, width))
            nn.init.trunc_normal_(self.cv_embed, std=0.02)
        self.layer_norms = layer_norms
        if layer_norms:
            self.img_norm = nn.LayerNorm(width)
            self.img_norm_proj = nn.LayerNorm(output_dim)
        self.test_feature = test_feature
        self.training_only_keys = list(drop_keys)
        self.feature_dim = {"cls_proj_concat": width + output_dim, "cls": width, "proj": output_dim}[
            test_feature
        ]
        self.needs_camids = sie_cameras > 0

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """Test-time embedding selected by ``test_feature`` (before any L2 normalisation)."""
        check_image_batch(FAMILY, images, self.input_size)
        offset = None
        if self.sie_cameras > 0:
            ids = check_camids(FAMILY, camids, images.shape[0], self.sie_cameras).to(images.device)
            offset = self.sie_coe * self.cv_embed[ids]
        feats, feats_proj = self.tokens(images, offset)
        cls, cls_proj = feats[:, 0], feats_proj[:, 0]
        if self.layer_norms:
            cls, cls_proj = self.img_norm(cls), self.img_norm_proj(cls_proj)
        if self.test_feature == "cls":
            return cls
        if self.test_feature == "proj":
            return cls_proj
        return torch.cat([cls, cls_proj], dim=1)

    def forward(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode_image(images, camids)


def build(config: Mapping[str, Any]) -> ClipReIDImageModel:
    """Build the CLIP-ReID-layout image model from a family config (random init, no download)."""
    cfg = FamilyConfig(FAMILY, config)
    if "input_norm" in config:
        raise ConfigError(
            f"family {FAMILY!r}: config key 'input_norm' was removed; input normalisation is the "
            "test transform's (the card's normalization: instance), applied by preprocess"
        )
    model = ClipReIDImageModel(
        input_size=cfg.pair("input_size"),
        patch_size=cfg.int("patch_size", 16, minimum=1),
        stride_size=cfg.int("stride_size", cfg.int("patch_size", 16), minimum=1),
        width=cfg.int("width", 768, minimum=1),
        layers=cfg.int("layers", 12, minimum=1),
        heads=cfg.int("heads", 12, minimum=1),
        output_dim=cfg.int("output_dim", 512, minimum=1),
        sie_cameras=cfg.int("sie_cameras", 0, minimum=0),
        sie_coe=cfg.float("sie_coe", 1.0),
        layer_norms=cfg.bool("layer_norms", False),
        test_feature=cfg.str("test_feature", "cls_proj_concat", choices=TEST_FEATURES),
        drop_keys=cfg.str_list("drop_keys", ()),
    )
    return model.eval()


build.sie_parameter = "cv_embed"  # type: ignore[attr-defined]  (see harness.methods.sie)
