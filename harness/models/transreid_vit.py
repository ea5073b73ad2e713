"""TransReID ViT (``damo-cv/TransReID@dec5504``): overlapping patches, optional SIE and JPM.

Parameter names equal a TransReID checkpoint after stripping ``module.`` and ``base.``:
``patch_embed.proj``, ``cls_token``, ``pos_embed`` ``[1, 1 + rows*cols, D]``, ``sie_embed``
``[cameras, 1, D]`` (SIE), ``blocks.N.*``, ``norm``; JPM adds ``b1.{0,1}.*`` and ``b2.{0,1}.*``
(deep copies of the last block and the final norm). Training-only keys (``fc``, ``bottleneck*``,
``classifier*``) are dropped through the method's ``drop_keys``.

Computation (``model/backbones/vit_pytorch.py:TransReID.forward_features`` and
``model/make_model.py``):

* tokens = ``[cls, patches] + pos_embed`` and, with SIE, ``+ sie_coe * sie_embed[camid]`` on every
  token (camera ids are required then);
* baseline (``test_feature: cls``): ``norm(blocks(x))[:, 0]``;
* JPM (``test_feature: jpm_concat``): ``f = blocks[:-1](x)``; global = ``b1(f)[:, 0]``; the patch
  tokens are shifted by ``shift_num`` and shuffled into ``shuffle_groups`` (``shuffle_unit``), cut
  into ``divide_length`` groups, each prefixed with ``f[:, 0]`` and passed through ``b2``; the
  embedding is ``[global, local_1/4, ..., local_4/4]`` (``NECK_FEAT 'before'``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn

from harness.errors import ConfigError
from harness.models._config import FamilyConfig, check_camids, check_image_batch, vit_geometry
from harness.models._vit import Block, PatchEmbedOverlap, init_vit_weights, layer_norm

FAMILY = "transreid-vit"


def shuffle_unit(features: torch.Tensor, shift: int, group: int, begin: int = 1) -> torch.Tensor:
    """TransReID's shift + patch-shuffle of the token sequence (``make_model.shuffle_unit``)."""
    batch, dim = features.size(0), features.size(-1)
    x = torch.cat([features[:, begin - 1 + shift :], features[:, begin : begin - 1 + shift]], dim=1)
    if x.shape[1] % group != 0:
        x = torch.cat([x, x[:, -2:-1, :]], dim=1)
    x = x.view(batch, group, -1, dim)
    x = torch.transpose(x, 1, 2).contiguous()
    return x.view(batch, -1, dim)


class TransReIDViT(nn.Module):
    """TransReID backbone plus (optionally) its JPM branch, returning the test-time embedding."""

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
        sie_cameras: int,
        sie_coe: float,
        jpm: bool,
        shift_num: int,
        shuffle_groups: int,
        divide_length: int,
        rearrange: bool,
        test_feature: str,
        drop_keys: tuple[str, ...],
    ) -> None:
        super().__init__()
        self.input_size = input_size
        self.patch_embed = PatchEmbedOverlap(input_size, patch_size, stride_size, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim))
        self.pos_embed = nn.Parameter(torch.zeros(1, self.patch_embed.num_patches + 1, embed_dim))
        self.sie_cameras = sie_cameras
        self.sie_coe = sie_coe
        if sie_cameras > 0:
            self.sie_embed = nn.Parameter(torch.zeros(sie_cameras, 1, embed_dim))
            nn.init.trunc_normal_(self.sie_embed, std=0.02)
        self.blocks = nn.ModuleList([Block(embed_dim, heads, mlp_ratio) for _ in range(depth)])
        self.norm = layer_norm(embed_dim)
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        nn.init.trunc_normal_(self.pos_embed, std=0.02)
        self.apply(init_vit_weights)
        self.jpm = jpm
        if jpm:
            self.b1 = nn.Sequential(Block(embed_dim, heads, mlp_ratio), layer_norm(embed_dim))
            self.b2 = nn.Sequential(Block(embed_dim, heads, mlp_ratio), layer_norm(embed_dim))
            self.b1.load_state_dict(self._last_block_and_norm())
            self.b2.load_state_dict(self._last_block_and_norm())
        self.shift_num = shift_num
        self.shuffle_groups = shuffle_groups
        self.divide_length = divide_length
        self.rearrange = rearrange
        self.test_feature = test_feature
        self.training_only_keys = list(drop_keys)
        self.feature_dim = embed_dim * (1 + divide_length) if test_feature == "jpm_concat" else embed_dim
        self.needs_camids = sie_cameras > 0

    def _last_block_and_norm(self) -> dict[str, torch.Tensor]:
        state = {f"0.{k}": v for k, v in self.blocks[-1].state_dict().items()}
        state.update({f"1.{k}": v for k, v in self.norm.state_dict().items()})
        return state

    def embed_tokens(self, images: torch.Tensor, camids: torch.Tensor | None) -> torch.Tensor:
        """Patch + CLS tokens with position (and SIE) embeddings added, as TransReID adds them."""
        x = self.patch_embed(images)
        x = torch.cat((self.cls_token.expand(x.shape[0], -1, -1), x), dim=1)
        if self.sie_cameras > 0:
            ids = check_camids(FAMILY, camids, images.shape[0], self.sie_cameras).to(images.device)
            return x + self.pos_embed + self.sie_coe * self.sie_embed[ids]
        return x + self.pos_embed

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """Test-time embedding (``cls`` or ``jpm_concat``), before any L2 normalisation."""
        check_image_batch(FAMILY, images, self.input_size)
        x = self.embed_tokens(images, camids)
        if not self.jpm:
            for blk in self.blocks:
                x = blk(x)
            return self.norm(x)[:, 0]
        for blk in self.blocks[:-1]:
            x = blk(x)
        global_feat = self.b1(x)[:, 0]
        if self.test_feature == "cls":
            return global_feat
        patch_length = (x.size(1) - 1) // self.divide_length
        token = x[:, 0:1]
        tokens = shuffle_unit(x, self.shift_num, self.shuffle_groups) if self.rearrange else x[:, 1:]
        locals_ = []
        for i in range(self.divide_length):
            part = tokens[:, patch_length * i : patch_length * (i + 1)]
            locals_.append(self.b2(torch.cat((token, part), dim=1))[:, 0] / 4)
        return torch.cat([global_feat, *locals_], dim=1)

    def forward(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        return self.encode_image(images, camids)


def build(config: Mapping[str, Any]) -> TransReIDViT:
    """Build the TransReID ViT from a family config (random init, no ImageNet weights)."""
    cfg = FamilyConfig(FAMILY, config)
    jpm = cfg.bool("jpm", False)
    test_feature = cfg.str("test_feature", "jpm_concat" if jpm else "cls", choices=("cls", "jpm_concat"))
    if test_feature == "jpm_concat" and not jpm:
        raise ConfigError(f"family {FAMILY!r}: test_feature 'jpm_concat' needs jpm: true")
    model = TransReIDViT(
        **vit_geometry(cfg, min_depth=2 if jpm else 1),
        sie_cameras=cfg.int("sie_cameras", 0, minimum=0),
        sie_coe=cfg.float("sie_coe", 3.0),
        jpm=jpm,
        shift_num=cfg.int("shift_num", 5, minimum=0),
        shuffle_groups=cfg.int("shuffle_groups", 2, minimum=1),
        divide_length=cfg.int("divide_length", 4, minimum=1),
        rearrange=cfg.bool("rearrange", True),
        test_feature=test_feature,
        drop_keys=cfg.str_list("drop_keys", ()),
    )
    return model.eval()


build.sie_parameter = "sie_embed"  # type: ignore[attr-defined]  (see harness.methods.sie)
