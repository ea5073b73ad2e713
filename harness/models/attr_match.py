"""``attr-match``: a weights-free text-to-image baseline that matches colour words to body regions.

Both towers map into one space, ``stripes x colours``, so cosine similarity compares them:

* **image**: the crop is cut into ``stripes`` horizontal bands; in each band every pixel is softly
  assigned to the named colours of :data:`PALETTE` (weights ``softmax(-|rgb - prototype|^2 / 2 tau^2)``,
  RGB in [0, 1]), weighted by hsv-hist's Gaussian centre prior and soft foreground mask
  (:class:`harness.models.hsv_hist.StripeHSVHistogram`). Each band's colour distribution is
  L1-normalised and square-rooted (Hellinger).
* **text**: the caption's words are tokenised into a small vocabulary (colour words, garment nouns,
  ``[MASK]``, ``[UNK]``); each colour word is attached to the first garment noun within
  ``window`` words after it. The noun names a body region with a prior position in the crop
  (:data:`REGIONS`: head 0-14 %, upper body 14-50 %, lower body 50-90 %, feet 90-100 % of the height;
  a bag counts half on the upper body). A band's expected colour distribution is the overlap-weighted
  mixture of the colours of the regions it covers, square-rooted. A colour whose noun is masked
  (a ``[MASK]`` within the window, before any noun) is spread over the upper and lower body at half
  weight; a masked colour word contributes nothing. Bands nothing is said about stay zero.

Both vectors are L2-normalised over all bands. Masking words removes colour evidence, so retrieval
degrades as the mask ratio grows, which is what the ``textmask`` protocol measures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from harness.models.hsv_hist import StripeHSVHistogram

PALETTE: dict[str, tuple[int, int, int]] = {
    "black": (20, 20, 22),
    "white": (240, 240, 236),
    "grey": (128, 128, 130),
    "red": (200, 30, 40),
    "orange": (240, 130, 30),
    "yellow": (230, 210, 50),
    "green": (40, 150, 60),
    "blue": (40, 80, 200),
    "navy": (25, 35, 90),
    "purple": (120, 50, 150),
    "pink": (240, 150, 190),
    "brown": (120, 75, 40),
    "beige": (215, 185, 115),
}
COLOUR_SYNONYMS = {"gray": "grey", "blonde": "beige", "blond": "beige", "khaki": "beige", "tan": "beige"}
NOUNS: dict[str, str] = {
    **dict.fromkeys(("hair", "hat", "cap", "helmet", "beanie"), "head"),
    **dict.fromkeys(
        (
            "shirt",
            "t-shirt",
            "tshirt",
            "tee",
            "top",
            "blouse",
            "jacket",
            "coat",
            "sweater",
            "hoodie",
            "sweatshirt",
            "vest",
            "cardigan",
            "jumper",
            "dress",
            "uniform",
        ),
        "upper",
    ),
    **dict.fromkeys(("trousers", "pants", "jeans", "shorts", "skirt", "leggings", "slacks"), "lower"),
    **dict.fromkeys(("shoes", "shoe", "sneakers", "boots", "sandals", "heels", "slippers"), "feet"),
    **dict.fromkeys(("backpack", "bag", "handbag", "purse", "satchel", "suitcase"), "bag"),
}
REGIONS: dict[str, tuple[tuple[float, float, float], ...]] = {
    "head": ((0.0, 0.14, 1.0),),
    "upper": ((0.14, 0.50, 1.0),),
    "lower": ((0.50, 0.90, 1.0),),
    "feet": ((0.90, 1.0, 1.0),),
    "bag": ((0.14, 0.50, 0.5),),
    "unknown": ((0.14, 0.90, 0.5),),
}
"""region -> ``(top, bottom, weight)`` bands as fractions of the crop height."""

PAD, UNK, MASK = 0, 1, 2
MASK_TOKEN, UNK_TOKEN = "[MASK]", "[UNK]"
_TOKEN = re.compile(r"\[mask\]|\[unk\]|[a-z]+(?:-[a-z]+)*")
_SPECIAL = {"[mask]": MASK_TOKEN, "[unk]": UNK_TOKEN}


class AttributeMatcher(nn.Module):
    """The attr-match network (no parameters): ``encode_image``, ``tokenize``, ``encode_text``."""

    mask_token = MASK_TOKEN
    unk_token = UNK_TOKEN

    def __init__(
        self,
        stripes: int = 8,
        tau: float = 0.12,
        window: int = 4,
        centre_sigma: float = 0.3,
        background_margin: float = 0.15,
    ) -> None:
        super().__init__()
        self.stripes, self.tau, self.window = stripes, tau, window
        self.hist = StripeHSVHistogram(
            stripes=stripes, centre_sigma=centre_sigma, background_margin=background_margin
        )
        self.colours = list(PALETTE)
        words = [*self.colours, *COLOUR_SYNONYMS, *NOUNS]
        self.vocab: dict[str, int] = {MASK_TOKEN: MASK, UNK_TOKEN: UNK}
        for word in words:
            self.vocab.setdefault(word, len(self.vocab) + 1)
        self._colour_of = {
            self.vocab[w]: self.colours.index(COLOUR_SYNONYMS.get(w, w))
            for w in (*self.colours, *COLOUR_SYNONYMS)
        }
        self._region_of = {self.vocab[w]: region for w, region in NOUNS.items()}
        self.register_buffer(
            "prototypes", torch.tensor(list(PALETTE.values()), dtype=torch.float32) / 255.0, persistent=False
        )
        self.register_buffer("band_weights", self._band_weights(), persistent=False)

    @property
    def dim(self) -> int:
        return self.stripes * len(self.colours)

    def _band_weights(self) -> torch.Tensor:
        """``[regions, stripes]``: how much of each stripe a region covers, times its weight."""
        rows = []
        edges = torch.linspace(0.0, 1.0, self.stripes + 1)
        for bands in REGIONS.values():
            row = torch.zeros(self.stripes)
            for top, bottom, weight in bands:
                overlap = torch.minimum(edges[1:], torch.tensor(bottom)) - torch.maximum(
                    edges[:-1], torch.tensor(top)
                )
                row += weight * overlap.clamp(min=0) * self.stripes
            rows.append(row)
        return torch.stack(rows)

    # -- image tower ----------------------------------------------------------------------------
    def encode_image(self, images: torch.Tensor, camids: torch.Tensor | None = None) -> torch.Tensor:
        """``[B, 3, H, W]`` RGB in [0, 1] -> ``[B, stripes * colours]`` L2-normalised."""
        batch, _, height, width = images.shape
        images = images.float().clamp(0.0, 1.0)
        pixels = images.permute(0, 2, 3, 1)  # B H W 3
        protos = self.prototypes.to(images.device)
        dist = (pixels**2).sum(-1, keepdim=True) - 2 * pixels @ protos.T + (protos**2).sum(-1)  # B H W K
        soft = torch.softmax(-dist / (2 * self.tau**2), dim=-1)
        x = (torch.arange(width, device=images.device, dtype=torch.float32) + 0.5) / width - 0.5
        centre = torch.exp(-0.5 * (x / self.hist.centre_sigma) ** 2).view(1, 1, width)
        weight = (centre * self.hist.foreground(images)).unsqueeze(-1)  # B H W 1
        stripe = torch.arange(height, device=images.device) * self.stripes // height
        per_row = (soft * weight).sum(dim=2)  # B H K
        hist = torch.zeros(batch, self.stripes, len(self.colours), device=images.device)
        hist.index_add_(1, stripe, per_row)
        hist = hist / hist.sum(-1, keepdim=True).clamp(min=1e-12)
        return nn.functional.normalize(hist.sqrt().reshape(batch, -1), dim=1)

    # -- text tower -----------------------------------------------------------------------------
    def words(self, text: str) -> list[str]:
        """Lower-cased word tokens of ``text`` (``[MASK]`` / ``[UNK]`` kept as such)."""
        return [_SPECIAL.get(w, w) for w in _TOKEN.findall(text.lower())]

    def tokenize(self, texts: Sequence[str]) -> torch.Tensor:
        """``[B, L]`` int64 word ids (0 = padding, 1 = unknown word, 2 = ``[MASK]``)."""
        ids = [[self.vocab.get(w, UNK) for w in self.words(t)] or [UNK] for t in texts]
        length = max(len(row) for row in ids) if ids else 1
        out = torch.zeros(len(ids), length, dtype=torch.long)
        for i, row in enumerate(ids):
            out[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        return out

    def attributes(self, row: Sequence[int]) -> list[tuple[str, int]]:
        """``(region, colour index)`` pairs read from one caption's word ids."""
        found: list[tuple[str, int]] = []
        for i, token in enumerate(row):
            if token not in self._colour_of:
                continue
            region = "unknown"
            for nxt in row[i + 1 : i + 1 + self.window]:
                if nxt in self._region_of:
                    region = self._region_of[nxt]
                    break
                if nxt in (MASK, PAD) or nxt in self._colour_of:
                    break
            found.append((region, self._colour_of[token]))
        return found

    def encode_text(self, tokens: torch.Tensor) -> torch.Tensor:
        """``[B, L]`` word ids -> ``[B, stripes * colours]`` expected band colours, L2-normalised."""
        regions = {name: i for i, name in enumerate(REGIONS)}
        bands = self.band_weights.cpu().numpy()
        out = np.zeros((tokens.shape[0], self.stripes, len(self.colours)), dtype=np.float32)
        for b, row in enumerate(tokens.tolist()):
            for region, colour in self.attributes(row):
                out[b, :, colour] += bands[regions[region]]
        out /= np.maximum(out.sum(-1, keepdims=True), 1e-12)
        flat = torch.from_numpy(np.sqrt(out).reshape(tokens.shape[0], -1)).to(tokens.device)
        return nn.functional.normalize(flat, dim=1)


def build(config: Mapping[str, Any]) -> AttributeMatcher:
    """Family builder; ``config`` keys: stripes, tau, window, centre_sigma, background_margin."""
    allowed = {"stripes", "tau", "window", "centre_sigma", "background_margin"}
    unknown = set(config) - allowed
    if unknown:
        from harness.errors import ConfigError

        raise ConfigError(
            f"attr-match: unknown family_config keys {sorted(unknown)}; allowed: {sorted(allowed)}"
        )
    return AttributeMatcher(**config)
