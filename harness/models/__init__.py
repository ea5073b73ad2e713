"""Architecture families: ``build(config) -> nn.Module`` builders, registered lazily by name.

Each entry is a lazy ``"harness.models.<module>:build"`` reference, so importing this package does
not import torch. A family's module follows the contract in ``docs/methods.md``: its
``state_dict()`` keys equal the official checkpoint's keys after prefix stripping,
``encode_image(images, camids=None)`` returns the method's test-time embedding (before L2
normalisation), and text families add ``encode_text(token_ids)`` and ``tokenize(texts)``.

``clip`` is the full two-tower OpenAI-layout CLIP (image and text; IRRA, DGCMIA, zero-shot CLIP);
``clip-text`` is an alias of it. ``clip-vit`` is the image tower alone in the CLIP-ReID layout
(CLIP-ReID, CLIP-FGDI, CMDG), with SIE camera embedding and CMDG's extra LayerNorms.
"""

from __future__ import annotations

from typing import Any

from harness.registry import Registry

FAMILIES: Registry[Any] = Registry("architecture family")

FAMILIES.register("clip-vit", "harness.models.clip_vit:build")
FAMILIES.register("clip", "harness.models.clip:build", aliases=("clip-text",))
FAMILIES.register("transreid-vit", "harness.models.transreid_vit:build")
FAMILIES.register("pat-vit", "harness.models.pat_vit:build")
FAMILIES.register("dmf-vit", "harness.models.dmf_vit:build")
FAMILIES.register("solider-swin", "harness.models.solider_swin:build")
FAMILIES.register("resnet50-bilstm", "harness.models.resnet50_bilstm:build")
FAMILIES.register("hsv-hist", "harness.models.hsv_hist:build")
FAMILIES.register("attr-match", "harness.models.attr_match:build")

__all__ = ["FAMILIES"]
