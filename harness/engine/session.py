"""The engine as the leg pipeline uses it: settings, cache, preflight checks, timings and notes per phase.

Timing convention for the result record: ``timings_s["encode_<role>"]`` is the wall time of a
phase that was computed in full, with ``encode_<role>_data_wait`` (time spent waiting for decoded
batches) and ``encode_<role>_compute`` (forward pass up to the result on the host, so device work is
finished) beside it. A phase served in full or in part from the cache has all three set to ``None``
and a note saying so: cached work is never timed as if it had been computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.cache.store import DEFAULT_CHUNK_ROWS, EmbeddingStore
from harness.engine.distributed import DistContext
from harness.engine.encoder import Encoded, encode_images, encode_texts
from harness.engine.extract import ExtractSettings
from harness.engine.numerics import check_finite
from harness.engine.preflight import cache_bytes_estimate, check_free_space, check_writable, probe_dim
from harness.errors import ConfigError

if TYPE_CHECKING:
    from harness.data.manifest import Manifest
    from harness.methods.adapter import MethodAdapter


@dataclass(frozen=True)
class EngineSettings:
    """How embeddings are computed (``extract``) and cached over one run (``harness run``'s options)."""

    extract: ExtractSettings = field(default_factory=ExtractSettings)
    cache_dir: Path | None = None
    """The cache folder; None: ``$HARNESS_CACHE``, else the user cache dir (``harness.paths.cache_dir``)."""
    no_cache: bool = False
    verify_content: bool = False
    """Identify items by their bytes' sha256 instead of ``path, size, mtime``."""
    cache_chunk_rows: int = DEFAULT_CHUNK_ROWS


@dataclass
class EngineSession:
    """Everything about embedding that stays fixed over one ``harness run``."""

    settings: ExtractSettings
    store: EmbeddingStore | None
    item_mode: str = "stat"
    chunk_rows: int = DEFAULT_CHUNK_ROWS
    dist: DistContext = field(default_factory=DistContext)

    @classmethod
    def open(cls, settings: EngineSettings, dist: DistContext | None = None) -> EngineSession:
        """The session for ``settings``; the cache folder must be writable (checked before any work)."""
        from harness.paths import cache_dir

        if settings.no_cache and dist is not None and dist.world_size > 1:
            raise ConfigError(
                "sharded extraction under torchrun needs the embedding cache (ranks meet through it); "
                "drop --no-cache"
            )
        store = None
        if not settings.no_cache:
            root = cache_dir(settings.cache_dir)
            check_writable(root, "cache directory", "--cache-dir")
            store = EmbeddingStore(root)
        return cls(
            settings=settings.extract,
            store=store,
            item_mode="content" if settings.verify_content else "stat",
            chunk_rows=settings.cache_chunk_rows,
            dist=dist or DistContext(),
        )

    def key(self, method: MethodAdapter, manifest: Manifest, role: str):
        from harness.engine.encoder import make_key

        return make_key(
            method,
            manifest.paths,
            manifest.camids.tolist(),
            role=role,
            tta=self.settings.tta,
            item_mode=self.item_mode,  # type: ignore[arg-type]
        )

    def cached_roles(self, method: MethodAdapter, manifests: dict[str, Manifest]) -> set[str]:
        """Roles whose entry is marked complete with every chunk file present (not yet validated)."""
        if self.store is None:
            return set()
        done = set()
        for role, manifest in manifests.items():
            entry = self.store.entry(self.key(method, manifest, role))
            meta = entry.read_meta()
            if (
                meta
                and meta.get("complete")
                and all(entry.chunk_path(i).is_file() for i in range(len(entry.ranges(meta))))
            ):
                done.add(role)
        return done

    def check_space(self, method: MethodAdapter, manifests: dict[str, Manifest], cached: set[str]) -> None:
        """Fail before encoding when the cache's file system cannot hold the missing embeddings."""
        n_items = sum(len(m) for role, m in manifests.items() if role not in cached)
        if self.store is not None and n_items:
            check_free_space(self.store.root, cache_bytes_estimate(n_items, probe_dim(method)))

    def encode(self, method: MethodAdapter, manifest: Manifest, role: str, progress) -> Encoded:
        return encode_images(
            method,
            manifest.paths,
            manifest.camids.tolist(),
            role=role,
            settings=self.settings,
            store=self.store,
            item_mode=self.item_mode,  # type: ignore[arg-type]
            chunk_rows=self.chunk_rows,
            progress=progress,
            dist=self.dist,
        )

    def encode_texts(
        self,
        method: MethodAdapter,
        texts: Sequence[str],
        role: str,
        progress,
        extra: dict[str, Any] | None = None,
    ) -> Encoded:
        """Text embeddings of ``texts`` through the cache (``extra``: further key fields)."""
        return encode_texts(
            method,
            texts,
            role=role,
            store=self.store,
            batch_size=self.settings.batch_size,
            chunk_rows=self.chunk_rows,
            progress=progress,
            extra=extra,
            dist=self.dist,
        )

    def describe(self) -> dict[str, Any]:
        """Extraction settings for the record's ``engine`` block."""
        s = self.settings
        return {
            "batch_size": s.batch_size,
            "num_workers": s.num_workers,
            "tta": s.tta,
            "channels_last": s.channels_last,
            "compile": s.compile,
            "on_bad_image": s.on_bad_image,
            "cache": None if self.store is None else str(self.store.root),
            "cache_items": self.item_mode,
            "world_size": self.dist.world_size,
        }


def record_phase(
    role: str, encoded: Encoded, wall_s: float, timings: dict[str, float | None], notes: list[str]
) -> None:
    """Fill ``timings`` and ``notes`` for the encode phase of ``role`` (see the module docstring)."""
    phase = f"encode_{role}"
    if encoded.status in ("hit", "partial"):
        for name in (phase, f"{phase}_data_wait", f"{phase}_compute"):
            timings[name] = None
        if encoded.status == "hit":
            notes.append(f"{phase}: embeddings read from the cache ({encoded.key[:12]}); timing not measured")
        else:
            notes.append(
                f"{phase}: {encoded.chunks_total - encoded.chunks_computed} of {encoded.chunks_total} chunks "
                f"read from the cache ({encoded.key[:12]}); timing not measured"
            )
        return
    timings[phase] = wall_s
    timings[f"{phase}_data_wait"] = encoded.stats.data_wait_s
    timings[f"{phase}_compute"] = encoded.stats.compute_s


def combine_roles(
    manifests: dict[str, Manifest], encoded: dict[str, Encoded], method: str
) -> tuple[np.ndarray, set[str], list[dict[str, str]]]:
    """All rows (roles in order), the paths of undecodable items and the skip list.

    Decodable rows must be finite (:func:`check_finite` raises otherwise, before any scoring).
    Skipped items are listed as ``{role, path, reason}``.
    """
    skipped, bad_paths, blocks = [], set(), []
    for role, manifest in manifests.items():
        enc = encoded[role]
        for row, why in sorted(enc.bad.items()):
            skipped.append({"role": role, "path": manifest[row].path, "reason": why})
            bad_paths.add(manifest[row].path)
        keep = np.flatnonzero(enc.valid)
        check_finite(enc.features[keep], [manifest[i].path for i in keep], role, method)
        blocks.append(enc.features)
    return np.concatenate(blocks, axis=0), bad_paths, skipped
