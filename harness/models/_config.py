"""Typed reads of a family ``config`` mapping, with errors that name the key and the family.

A family config comes from a method metafile (``family_config`` merged with a variant's
overrides). Every family reads it through :class:`FamilyConfig` so that a wrong or missing value
fails before any weights are touched, with a message naming the family and the key.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from harness.errors import ConfigError

_MISSING = object()


class FamilyConfig:
    """Read-only view of a family config that validates each value as it is read."""

    def __init__(self, family: str, config: Mapping[str, Any]) -> None:
        if not isinstance(config, Mapping):
            raise ConfigError(f"family {family!r}: config must be a mapping, got {type(config).__name__}")
        self.family = family
        self._config = dict(config)

    def _get(self, key: str, default: Any) -> Any:
        value = self._config.get(key, default)
        if value is _MISSING:
            raise ConfigError(f"family {self.family!r}: config key {key!r} is required")
        return value

    def _fail(self, key: str, value: Any, expected: str) -> ConfigError:
        return ConfigError(f"family {self.family!r}: config key {key!r} must be {expected}, got {value!r}")

    def int(self, key: str, default: Any = _MISSING, *, minimum: int | None = None) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._fail(key, value, "an integer")
        if minimum is not None and value < minimum:
            raise self._fail(key, value, f"an integer >= {minimum}")
        return value

    def float(self, key: str, default: Any = _MISSING) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self._fail(key, value, "a number")
        return float(value)

    def bool(self, key: str, default: Any = _MISSING) -> bool:
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self._fail(key, value, "true or false")
        return value

    def str(self, key: str, default: Any = _MISSING, *, choices: Collection[str] | None = None) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise self._fail(key, value, "a string")
        if choices is not None and value not in choices:
            raise self._fail(key, value, "one of " + ", ".join(repr(c) for c in choices))
        return value

    def optional_str(self, key: str) -> str | None:
        value = self._config.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self._fail(key, value, "a string or null")
        return value

    def pair(self, key: str, default: Any = _MISSING) -> tuple[int, int]:
        """An ``[H, W]`` pair; a single integer means a square."""
        value = self._get(key, default)
        if isinstance(value, int) and not isinstance(value, bool):
            return (value, value)
        if (
            isinstance(value, (list, tuple))
            and len(value) == 2
            and all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value)
        ):
            return (int(value[0]), int(value[1]))
        raise self._fail(key, value, "a positive integer or a [height, width] pair of them")

    def int_list(self, key: str, default: Any = _MISSING, *, length: int | None = None) -> tuple[int, ...]:
        value = self._get(key, default)
        if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise self._fail(key, value, "a list of integers")
        if length is not None and len(value) != length:
            raise self._fail(key, value, f"a list of {length} integers")
        return tuple(int(v) for v in value)

    def str_list(self, key: str, default: Any = ()) -> tuple[str, ...]:
        value = self._get(key, default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, value, "a list of strings")
        return tuple(value)


def vit_geometry(cfg: FamilyConfig, *, min_depth: int = 1) -> dict[str, Any]:
    """The TransReID-style ViT geometry keys shared by ``transreid-vit``, ``pat-vit`` and ``dmf-vit``:
    ``input_size``, ``patch_size`` (16), ``stride_size`` (= patch), ``embed_dim`` (768), ``depth``
    (12), ``heads`` (12), ``mlp_ratio`` (4.0)."""
    patch = cfg.int("patch_size", 16, minimum=1)
    return {
        "input_size": cfg.pair("input_size"),
        "patch_size": patch,
        "stride_size": cfg.int("stride_size", patch, minimum=1),
        "embed_dim": cfg.int("embed_dim", 768, minimum=1),
        "depth": cfg.int("depth", 12, minimum=min_depth),
        "heads": cfg.int("heads", 12, minimum=1),
        "mlp_ratio": cfg.float("mlp_ratio", 4.0),
    }


def grid_size(image: tuple[int, int], patch: int, stride: int) -> tuple[int, int]:
    """Token grid ``(rows, cols)`` of a conv patch embedding, as ``(H - patch) // stride + 1``."""
    return ((image[0] - patch) // stride + 1, (image[1] - patch) // stride + 1)


def check_image_batch(family: str, images: Any, size: tuple[int, int]) -> None:
    """Raise ConfigError unless ``images`` is a float ``[B, 3, H, W]`` tensor of the expected size."""
    shape = tuple(getattr(images, "shape", ()))
    if len(shape) != 4 or shape[1] != 3 or shape[2:] != tuple(size):
        raise ConfigError(
            f"family {family!r}: expected images of shape [B, 3, {size[0]}, {size[1]}], got {list(shape)}"
        )


def check_camids(family: str, camids: Any, batch: int, cameras: int) -> Any:
    """Validate camera ids for camera-dependent (SIE) embeddings and return them as a long tensor."""
    import torch

    if camids is None:
        raise ConfigError(
            f"family {family!r}: this variant adds a camera embedding (SIE), so encode_image needs "
            "camera ids (0-based, one per image); the protocol must provide them"
        )
    ids = torch.as_tensor(camids).long().reshape(-1)
    if ids.numel() != batch:
        raise ConfigError(f"family {family!r}: got {ids.numel()} camera ids for {batch} images")
    if ids.numel() and (int(ids.min()) < 0 or int(ids.max()) >= cameras):
        raise ConfigError(
            f"family {family!r}: camera ids must lie in [0, {cameras - 1}] for this checkpoint "
            f"(sie_cameras={cameras}), got range [{int(ids.min())}, {int(ids.max())}]"
        )
    return ids
