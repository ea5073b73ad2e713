"""Small user-side builders for the bring-your-own-model tests (imported as ``tests.models.byo_nets``)."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class SmallNet(nn.Module):
    """forward(images) -> [B, width]: a strided conv and global average pooling."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, width, 3, stride=2)
        self.norm = nn.BatchNorm1d(width)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(images).mean(dim=(2, 3)))


class WithEncoder(SmallNet):
    """Has its own encode_image (one argument): used instead of forward."""

    def forward(self, images: torch.Tensor) -> torch.Tensor:  # training-style output, never used
        return torch.zeros(len(images), 3)

    def encode_image(self, images: torch.Tensor) -> torch.Tensor:
        return super().forward(images)


def build(config: dict[str, Any]) -> nn.Module:
    return SmallNet(**config)


def build_encoder(config: dict[str, Any]) -> nn.Module:
    return WithEncoder(**config)


def build_not_a_module(config: dict[str, Any]) -> object:
    return object()


def build_bad_shape(config: dict[str, Any]) -> nn.Module:
    class Flat(nn.Module):
        def forward(self, images: torch.Tensor) -> torch.Tensor:
            return images.mean(dim=1)  # [B, H, W], not [B, D]

    return Flat()


NOT_CALLABLE = 3
