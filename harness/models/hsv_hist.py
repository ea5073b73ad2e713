"""``hsv-hist``: a weights-free baseline of HSV colour histograms over horizontal stripes.

The image is cut into ``stripes`` horizontal bands; in each band, pixels vote into a joint
``h_bins x s_bins x v_bins`` HSV histogram, weighted by a Gaussian centre prior across the width
(sigma = ``centre_sigma`` x width) and by a soft foreground mask (a pixel's RGB distance from its
row's border colour, through a sigmoid centred at ``background_margin``; 0 disables it), both of
which favour the person over the background. Each band's
histogram is square-rooted (Hellinger) and L2-normalised; the concatenation is L2-normalised.
Hue is circular: bin ``k`` covers ``[k, k+1) / h_bins`` of the colour wheel.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from torch import nn


def rgb_to_hsv(images: torch.Tensor) -> torch.Tensor:
    """``[B, 3, H, W]`` RGB in [0, 1] -> HSV in [0, 1] (hue as a fraction of the circle)."""
    r, g, b = images.unbind(dim=1)
    maxc, _ = images.max(dim=1)
    minc, _ = images.min(dim=1)
    delta = maxc - minc
    safe = torch.where(delta > 0, delta, torch.ones_like(delta))
    hue = torch.where(
        maxc == r, ((g - b) / safe) % 6.0, torch.where(maxc == g, (b - r) / safe + 2.0, (r - g) / safe + 4.0)
    )
    hue = torch.where(delta > 0, hue / 6.0, torch.zeros_like(hue))
    sat = torch.where(
        maxc > 0, delta / torch.where(maxc > 0, maxc, torch.ones_like(maxc)), torch.zeros_like(maxc)
    )
    return torch.stack([hue, sat, maxc], dim=1)


class StripeHSVHistogram(nn.Module):
    """The hsv-hist network (it has no parameters)."""

    def __init__(
        self,
        stripes: int = 6,
        h_bins: int = 8,
        s_bins: int = 3,
        v_bins: int = 3,
        centre_sigma: float = 0.3,
        background_margin: float = 0.15,
    ):
        super().__init__()
        self.stripes, self.h_bins, self.s_bins, self.v_bins = stripes, h_bins, s_bins, v_bins
        self.centre_sigma = centre_sigma
        self.background_margin = background_margin

    @property
    def bins(self) -> int:
        return self.h_bins * self.s_bins * self.v_bins

    def foreground(self, images: torch.Tensor) -> torch.Tensor:
        """Soft foreground ``[B, H, W]``: how far each pixel is from its row's border colour.

        The person is centred in a ReID crop, so the mean colour of the ``border`` leftmost and
        rightmost columns of a row estimates that row's background.
        """
        if self.background_margin <= 0:
            return torch.ones_like(images[:, 0])
        border = max(1, images.shape[3] // 16)
        edges = torch.cat([images[..., :border], images[..., -border:]], dim=3).mean(dim=3, keepdim=True)
        distance = (images - edges).norm(dim=1)
        return torch.sigmoid((distance - self.background_margin) / (0.25 * self.background_margin))

    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """``[B, 3, H, W]`` in [0, 1] -> ``[B, stripes * bins]`` L2-normalised histograms."""
        batch, _, height, width = images.shape
        images = images.float().clamp(0.0, 1.0)
        hsv = rgb_to_hsv(images)
        h = (hsv[:, 0] * self.h_bins).long().clamp(0, self.h_bins - 1)
        s = (hsv[:, 1] * self.s_bins).long().clamp(0, self.s_bins - 1)
        v = (hsv[:, 2] * self.v_bins).long().clamp(0, self.v_bins - 1)
        stripe = (torch.arange(height, device=images.device) * self.stripes // height).view(1, height, 1)
        index = stripe * self.bins + (h * self.s_bins + s) * self.v_bins + v  # [B, H, W]
        x = (torch.arange(width, device=images.device, dtype=torch.float32) + 0.5) / width - 0.5
        weight = torch.exp(-0.5 * (x / self.centre_sigma) ** 2).view(1, 1, width) * self.foreground(images)
        hist = torch.zeros(batch, self.stripes * self.bins, device=images.device)
        hist.scatter_add_(1, index.reshape(batch, -1), weight.reshape(batch, -1))
        hist = hist.view(batch, self.stripes, self.bins).sqrt()
        hist = nn.functional.normalize(hist, dim=2).reshape(batch, -1)
        return nn.functional.normalize(hist, dim=1)


def build(config: Mapping[str, Any]) -> StripeHSVHistogram:
    """Family builder; ``config`` keys: stripes, h_bins, s_bins, v_bins, centre_sigma."""
    allowed = {"stripes", "h_bins", "s_bins", "v_bins", "centre_sigma", "background_margin"}
    unknown = set(config) - allowed
    if unknown:
        from harness.errors import ConfigError

        raise ConfigError(
            f"hsv-hist: unknown family_config keys {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return StripeHSVHistogram(**config)
