"""Architecture families: ``build(config) -> nn.Module`` builders, registered lazily by name.

A family's module has ``encode_image(images, camids=None)`` (and, for text families, ``tokenize``
and ``encode_text``) and parameter names that match the official checkpoints.
"""

from __future__ import annotations

from typing import Any

from harness.registry import Registry

FAMILIES: Registry[Any] = Registry("architecture family")
FAMILIES.register("hsv-hist", "harness.models.hsv_hist:build")
FAMILIES.register("attr-match", "harness.models.attr_match:build")
