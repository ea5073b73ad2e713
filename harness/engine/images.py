"""Decoding one image file into an 8-bit RGB PIL image, or saying exactly why it cannot be.

Conversions (the same as ``Image.open(path).convert("RGB")`` in the official ReID codes, except
that 16-bit images are scaled rather than saturated):

* grayscale (``L``, ``1``), palette (``P``), ``LA``, ``CMYK``, ``YCbCr``: Pillow's ``convert("RGB")``;
* ``RGBA``: the alpha channel is dropped (Pillow's ``convert("RGB")``, as the official codes do);
* 16-bit grayscale (``I;16*``, ``I``): scaled to 8 bits by ``value >> 8`` (Pillow alone would clip
  everything above 255 to white); ``F`` (float) is clipped to ``[0, 255]``;
* the file extension is ignored: Pillow identifies the format from the bytes.

Undecodable files (empty, not an image, truncated or corrupted, larger than Pillow's
decompression-bomb limit) give a short reason instead of an exception.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from PIL import Image as PILImage

_SIXTEEN_BIT = ("I;16", "I;16L", "I;16B", "I;16N", "I")


def to_rgb(image: PILImage.Image) -> PILImage.Image:
    """An 8-bit RGB copy of ``image`` following the conversions in the module docstring."""
    from PIL import Image

    if image.mode == "RGB":
        return image
    if image.mode in _SIXTEEN_BIT:
        array = np.asarray(image).astype(np.int64)
        gray = np.clip(array >> 8, 0, 255).astype(np.uint8)
        return Image.fromarray(gray, mode="L").convert("RGB")
    if image.mode == "F":
        gray = np.clip(np.asarray(image), 0, 255).astype(np.uint8)
        return Image.fromarray(gray, mode="L").convert("RGB")
    return image.convert("RGB")


def decode_rgb(path: str) -> tuple[PILImage.Image | None, str | None]:
    """``(rgb_image, None)`` on success, else ``(None, reason)``; never raises for a bad file."""
    from PIL import Image, UnidentifiedImageError

    try:
        if os.path.getsize(path) == 0:
            return None, "empty file (0 bytes)"
        with Image.open(path) as image:
            image.load()
            return to_rgb(image).copy() if image.mode == "RGB" else to_rgb(image), None
    except Image.DecompressionBombError as exc:
        return None, f"image too large to decode safely ({exc})"
    except UnidentifiedImageError:
        return None, "not an image Pillow can identify"
    except FileNotFoundError:
        return None, "file not found"
    except (OSError, SyntaxError, ValueError) as exc:  # truncated data, broken chunks, bad headers
        return None, f"cannot decode image ({exc})"
