"""Bring your own model: a timm ResNet-50 with a BNNeck, evaluated by reid-harness from a card.

The BNNeck baseline of Luo et al., "Bag of Tricks and A Strong Baseline for Deep Person
Re-identification" (CVPR-W 2019): a ResNet-50 with last stride 1, global average pooling, a
``BatchNorm1d`` "neck" whose bias is frozen, and an identity classifier used only in training. At
test time the embedding is the feature after the neck (``neck_feat: after``) or before it
(``before``). The card ``methods/timm-bnneck/method.yaml`` next to this file names
``timm_bnneck:build`` as its family; see ``docs/methods.md``.
"""

from __future__ import annotations

from typing import Any

import timm
import torch
from torch import nn


class ResNetBNNeck(nn.Module):
    """timm backbone + BNNeck; ``forward(images[B, 3, H, W]) -> [B, D]`` in eval mode."""

    def __init__(
        self,
        backbone: str = "resnet50",
        num_classes: int = 751,
        neck_feat: str = "after",
        last_stride: int = 1,
    ) -> None:
        super().__init__()
        if neck_feat not in ("before", "after"):
            raise ValueError(f"neck_feat must be 'before' or 'after', got {neck_feat!r}")
        # pretrained=False: the harness never downloads; the checkpoint holds the trained weights
        self.base = timm.create_model(backbone, pretrained=False, num_classes=0, global_pool="avg")
        if last_stride == 1:  # Bag of Tricks: the last stage keeps the 16x8 grid of a 256x128 input
            block = self.base.layer4[0]
            block.conv2.stride = (1, 1)
            if block.downsample is not None:
                block.downsample[0].stride = (1, 1)
        dim = self.base.num_features
        self.bottleneck = nn.BatchNorm1d(dim)
        self.bottleneck.bias.requires_grad_(False)
        self.classifier = nn.Linear(dim, num_classes, bias=False)
        self.neck_feat = neck_feat

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        global_feat = self.base(images)
        if self.training:
            return self.classifier(self.bottleneck(global_feat))
        return self.bottleneck(global_feat) if self.neck_feat == "after" else global_feat


def build(config: dict[str, Any]) -> nn.Module:
    """The harness calls this with the card's ``family_config``."""
    return ResNetBNNeck(**config)
