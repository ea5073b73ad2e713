"""Embedding cache keys: a sha256 over canonical JSON of everything that can change a vector.

The key of one cache entry hashes, in one canonical JSON document (sorted keys, no whitespace):

* ``format``: :data:`CACHE_FORMAT_VERSION` (bumped when the on-disk layout or the key changes);
* ``method``: the adapter's :meth:`~harness.methods.adapter.MethodAdapter.identity` (name, variant,
  adapter version, checkpoint sha256, weights kind, test feature, dtype, preprocessing);
* ``modality`` (``image`` | ``text``) and ``role`` (``query`` | ``gallery``), so the same items
  encoded for different roles never share an entry;
* ``tta``: test-time augmentation (``none`` | ``flip``);
* ``items``: the sha256 of the item list, see :func:`items_digest`.

Execution choices that change vectors only by floating-point reassociation (device, batch size,
workers, ``channels_last``, ``torch.compile``) are *not* hashed; they are recorded in the entry's
sidecar so a surprising entry can be explained.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from harness.errors import DataError
from harness.hashing import sha256_file

CACHE_FORMAT_VERSION = 1
ItemMode = Literal["stat", "content"]
ROLES = ("query", "gallery")
MODALITIES = ("image", "text")
TTAS = ("none", "flip")


def canonical_json(payload: Any) -> str:
    """JSON with sorted keys and no whitespace: equal payloads give equal strings."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def item_fingerprint(path: str, camid: int, mode: ItemMode) -> str:
    """One image's fingerprint: ``path|size|mtime_ns|camid`` (``stat``) or ``sha256|camid`` (``content``).

    ``content`` leaves the path out, so copies of a dataset in two places share entries. The camera
    id is part of both because camera-aware methods (SIE) embed it.
    """
    try:
        if mode == "content":
            return f"{sha256_file(path)}|{camid}"
        stat = os.stat(path)
    except OSError as exc:
        raise DataError(f"{path}: cannot read image for the cache key ({exc.strerror or exc})") from exc
    return f"{os.path.abspath(path)}|{stat.st_size}|{stat.st_mtime_ns}|{camid}"


def items_digest(paths: Sequence[str], camids: Sequence[int], mode: ItemMode = "stat") -> str:
    """sha256 over the ordered item fingerprints (order matters: rows follow it)."""
    if mode not in ("stat", "content"):
        raise ValueError(f"item mode must be 'stat' or 'content', got {mode!r}")
    digest = hashlib.sha256(f"{mode}\n".encode())
    for path, camid in zip(paths, camids, strict=True):
        digest.update(item_fingerprint(path, int(camid), mode).encode("utf-8", "surrogateescape"))
        digest.update(b"\n")
    return digest.hexdigest()


def texts_digest(texts: Sequence[str]) -> str:
    """sha256 over the ordered texts (for text embeddings)."""
    digest = hashlib.sha256(b"text\n")
    for text in texts:
        digest.update(hashlib.sha256(text.encode()).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class EmbeddingKey:
    """The hashed identity of one embedding matrix (see the module docstring for every field)."""

    method: dict[str, Any]
    modality: str
    role: str
    tta: str
    items: str
    n_items: int
    format: int = CACHE_FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, value, allowed in (
            ("modality", self.modality, MODALITIES),
            ("role", self.role, ROLES),
            ("tta", self.tta, TTAS),
        ):
            if value not in allowed:
                raise ValueError(f"cache key {name} must be one of {allowed}, got {value!r}")

    def fields(self) -> dict[str, Any]:
        """The hashed fields as a plain dict (also stored in the sidecar)."""
        return {
            "format": self.format,
            "method": self.method,
            "modality": self.modality,
            "role": self.role,
            "tta": self.tta,
            "items": self.items,
            "n_items": self.n_items,
            "extra": self.extra,
        }

    @property
    def digest(self) -> str:
        """Hex sha256 of :meth:`fields` as canonical JSON."""
        return hashlib.sha256(canonical_json(self.fields()).encode()).hexdigest()
