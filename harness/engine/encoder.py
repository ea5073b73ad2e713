"""The cached image encoder: embeddings for a list of items, from the cache where it has them.

``encode_images`` computes the content-addressed key (:mod:`harness.cache.keys`), reads every
valid chunk of the entry, encodes only the rows of missing or invalid chunks, writes each chunk as
soon as its rows are done (so an interrupted run resumes from the last written chunk), and returns
the full matrix with how it was obtained. The entry is written under its cross-process lock: a
second process asking for the same embeddings waits, then reads them.

Under ``torchrun`` (:mod:`harness.engine.distributed`) every rank encodes a disjoint share of the
missing chunks and writes them itself (the schedule is :mod:`harness.engine.shards`); after a
barrier every rank reads the assembled entry. Captions (:func:`encode_texts`) are sharded the same way.
"""

from __future__ import annotations

import logging
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.cache.keys import EmbeddingKey, ItemMode, items_digest
from harness.cache.store import DEFAULT_CHUNK_ROWS, EmbeddingStore
from harness.engine.extract import ExtractSettings, ExtractStats, iter_batches
from harness.engine.shards import encode_entry_sharded
from harness.errors import DataError

if TYPE_CHECKING:
    from harness.engine.distributed import DistContext
    from harness.methods.adapter import MethodAdapter

log = logging.getLogger(__name__)


@dataclass
class Encoded:
    """Embeddings of one item list and where they came from.

    ``status``: ``hit`` (every chunk from the cache), ``partial`` (some chunks computed),
    ``miss`` (all computed) or ``disabled`` (no cache). ``stats`` covers computed rows only.
    """

    features: np.ndarray  # float32 [N, D]; rows of undecodable items are zeros
    valid: np.ndarray  # bool [N]
    bad: dict[int, str]  # row -> reason, for undecodable items
    status: str
    key: str | None = None
    chunks_total: int = 0
    chunks_computed: int = 0
    stats: ExtractStats = field(default_factory=ExtractStats)

    def summary(self) -> dict[str, Any]:
        """The record's view of this encoding (no timings for cached work)."""
        out: dict[str, Any] = {
            "cache": self.status,
            "key": self.key,
            "chunks_total": self.chunks_total,
            "chunks_computed": self.chunks_computed,
            "n_items": len(self.valid),
            "n_skipped": int((~self.valid).sum()),
        }
        if self.stats.images:
            out["computed"] = self.stats.as_dict()
        return out


def make_key(
    method: MethodAdapter,
    paths: Sequence[str],
    camids: Sequence[int],
    *,
    role: str,
    tta: str,
    item_mode: ItemMode = "stat",
) -> EmbeddingKey:
    """The cache key of ``method``'s image embeddings of these items in this role.

    Random-init weights have no checkpoint hash; they are identified by the torch seed in force
    (``torch.initial_seed()``, which the runner resets before building each leg's network) and the
    torch version. The card's resolved ``family_config`` (the network's construction) is hashed
    too, so editing a card without bumping its ``adapter_version`` cannot reuse stale vectors.
    """
    return EmbeddingKey(
        method=method.identity(),
        modality="image",
        role=role,
        tta=tta,
        items=items_digest(paths, camids, item_mode),
        n_items=len(paths),
        extra=method_extra(method),
    )


def method_extra(method: MethodAdapter) -> dict[str, Any]:
    """Key fields beyond the identity: the resolved ``family_config`` and, for random-init weights,
    the torch seed in force (``torch.initial_seed()``) and the torch version."""
    extra: dict[str, Any] = {"family_config": method.card.family_config_for(method.variant)}
    if method.weights.kind == "random-init":
        import torch

        extra["random_init"] = {"torch_seed": int(torch.initial_seed()), "torch": torch.__version__}
    return extra


def make_text_key(
    method: MethodAdapter, texts: Sequence[str], *, role: str, extra: dict[str, Any] | None = None
) -> EmbeddingKey:
    """The cache key of ``method``'s embeddings of ``texts`` (rows in order) in ``role``.

    ``extra`` adds caller fields to the key (the text runner puts the query-mask settings there).
    """
    from harness.cache.keys import texts_digest

    return EmbeddingKey(
        method=method.identity(),
        modality="text",
        role=role,
        tta="none",
        items=texts_digest(texts),
        n_items=len(texts),
        extra={**method_extra(method), **(extra or {})},
    )


def _describe(method: MethodAdapter, paths: Sequence[str], settings: ExtractSettings, item_mode: str) -> dict:
    import torch

    from harness import __version__

    return {
        "first_item": paths[0] if paths else None,
        "last_item": paths[-1] if paths else None,
        "item_mode": item_mode,
        "device": str(method.device),
        "batch_size": settings.batch_size,
        "channels_last": settings.channels_last,
        "compile": settings.compile,
        "harness_version": __version__,
        "torch": torch.__version__,
        "host": platform.node(),
    }


def advance_cached(advance: Callable[[int], None], n: int) -> None:
    """Count ``n`` items read from the cache, not computed: an ``advance`` callback that has a
    ``cached`` attribute (the CLI's progress) shows "(cached)" for them instead of a speed."""
    getattr(advance, "cached", advance)(n)


def encode_images(
    method: MethodAdapter,
    paths: Sequence[str],
    camids: Sequence[int],
    *,
    role: str,
    settings: ExtractSettings,
    store: EmbeddingStore | None,
    item_mode: ItemMode = "stat",
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
    dist: DistContext | None = None,
) -> Encoded:
    """Embeddings of ``paths`` (rows in order) for ``role``, using ``store`` when given."""
    advance = progress or (lambda n: None)
    if store is None:
        return _encode_uncached(method, paths, camids, settings, advance)
    key = make_key(method, paths, camids, role=role, tta=settings.tta, item_mode=item_mode)
    entry = store.entry(key)
    describe = _describe(method, paths, settings, item_mode)
    if dist is not None and dist.world_size > 1:

        def compute(meta: dict[str, Any], indices: list[int], stats: ExtractStats) -> None:
            for _ in compute_chunks(method, paths, camids, entry, meta, indices, settings, stats, advance):
                pass

        return encode_entry_sharded(
            key,
            entry,
            chunk_rows=chunk_rows,
            describe=describe,
            dist=dist,
            compute=compute,
            assemble=lambda chunks: assemble(chunks, paths, settings),
        )
    with entry.lock():
        meta = entry.open(key, chunk_rows=chunk_rows, describe=describe)
        chunks = [entry.read_chunk(meta, i) for i in range(len(entry.ranges(meta)))]
        missing = [i for i, chunk in enumerate(chunks) if chunk is None]
        stats = ExtractStats()
        if missing:
            log.info("cache %s: computing %d of %d chunks", key.digest[:12], len(missing), len(chunks))
            ranges = entry.ranges(meta)
            present = sum(stop - start for i, (start, stop) in enumerate(ranges) if chunks[i] is not None)
            if present:
                advance_cached(advance, present)  # the progress line still reaches its total
            for chunk in compute_chunks(
                method, paths, camids, entry, meta, missing, settings, stats, advance
            ):
                chunks[chunk.index] = chunk
        else:
            advance_cached(advance, len(paths))
        encoded = assemble(chunks, paths, settings)
        if not meta.get("complete") or meta.get("dim") != encoded.features.shape[1]:
            entry.mark_complete(meta, encoded.features.shape[1])
    entry.touch_used()
    encoded.key, encoded.chunks_total, encoded.chunks_computed = key.digest, len(chunks), len(missing)
    encoded.status = "hit" if not missing else ("miss" if len(missing) == len(chunks) else "partial")
    encoded.stats = stats
    return encoded


def compute_chunks(method, paths, camids, entry, meta, indices, settings, stats, advance):
    """Encode the rows of chunks ``indices`` and write each chunk as soon as it is complete."""
    from harness.cache.store import Chunk

    ranges = entry.ranges(meta)
    rows = [r for i in indices for r in range(*ranges[i])]
    pending = list(indices)
    buffer: list = []
    filled = 0
    for batch in iter_batches(method, paths, camids, settings, rows=rows, stats=stats):
        buffer.append(batch)
        filled += len(batch.rows)
        advance(len(batch.rows))
        while pending and filled >= ranges[pending[0]][1] - ranges[pending[0]][0]:
            index = pending.pop(0)
            start, stop = ranges[index]
            features = np.concatenate([b.features for b in buffer])
            valid = np.concatenate([b.valid for b in buffer])
            batch_rows = np.concatenate([b.rows for b in buffer])
            reasons = [r for b in buffer for r in b.reasons]
            n = stop - start
            if not np.array_equal(batch_rows[:n], np.arange(start, stop)):
                raise RuntimeError(f"extraction order broke at chunk {index}")  # a harness bug
            bad = {int(batch_rows[j]): reasons[j] for j in range(n) if not valid[j]}
            entry.write_chunk(index, start, features[:n], valid[:n], bad)
            yield Chunk(index, start, stop, features[:n], valid[:n], bad)
            rest = slice(n, None)
            buffer = [_Rest(features[rest], valid[rest], batch_rows[rest], reasons[n:])] if filled > n else []
            filled -= n


@dataclass
class _Rest:
    features: np.ndarray
    valid: np.ndarray
    rows: np.ndarray
    reasons: list[str]


def assemble(chunks, paths: Sequence[str], settings: ExtractSettings) -> Encoded:
    """Concatenate validated chunks; apply the bad-image policy to rows stored as undecodable."""
    features = np.concatenate([c.embeddings for c in chunks]) if chunks else np.zeros((0, 0), np.float32)
    valid = np.concatenate([c.valid for c in chunks]) if chunks else np.zeros(0, bool)
    bad = {row: reason for c in chunks for row, reason in c.bad.items()}
    if len(features) != len(paths):
        raise RuntimeError(f"assembled {len(features)} rows for {len(paths)} items")  # a harness bug
    if bad and settings.on_bad_image == "error":
        row = min(bad)
        raise DataError(
            f"{paths[row]}: {bad[row]} (recorded in the embedding cache; pass --on-bad-image skip to "
            "leave undecodable images out)"
        )
    return Encoded(features=features, valid=valid, bad=bad, status="")


def _encode_uncached(method, paths, camids, settings, advance) -> Encoded:
    stats = ExtractStats()
    feats, valid, bad = [], [], {}
    for batch in iter_batches(method, paths, camids, settings, stats=stats):
        feats.append(batch.features)
        valid.append(batch.valid)
        bad.update(
            {int(r): why for r, ok, why in zip(batch.rows, batch.valid, batch.reasons, strict=True) if not ok}
        )
        advance(len(batch.rows))
    features = np.concatenate(feats) if feats else np.zeros((0, 0), np.float32)
    mask = np.concatenate(valid) if valid else np.zeros(0, bool)
    return Encoded(features=features, valid=mask, bad=bad, status="disabled", stats=stats)


def encode_texts(
    method: MethodAdapter,
    texts: Sequence[str],
    *,
    role: str,
    store: EmbeddingStore | None,
    batch_size: int = 256,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Callable[[int], None] | None = None,
    extra: dict[str, Any] | None = None,
    dist: DistContext | None = None,
) -> Encoded:
    """Text embeddings of ``texts`` (rows in order) for ``role``, cached like image embeddings.

    The key (:func:`make_text_key`): the texts' sha256 (:func:`harness.cache.keys.texts_digest`),
    modality ``text``, the method identity (which covers the tokenizer through the card and its
    family configuration), the random-init seed when the weights are random, and ``extra``.
    Under ``torchrun`` (``dist`` with several ranks) the missing chunks are shared between the
    ranks as for images (:mod:`harness.engine.shards`).
    """
    import time

    advance = progress or (lambda n: None)

    def compute(start: int, stop: int, stats: ExtractStats) -> np.ndarray:
        tick = time.perf_counter()
        rows = [
            method.encode_text(list(texts[s : min(stop, s + batch_size)])).cpu().numpy()
            for s in range(start, stop, batch_size)
        ]
        stats.compute_s += time.perf_counter() - tick
        stats.wall_s += time.perf_counter() - tick
        stats.images += stop - start
        advance(stop - start)
        return np.ascontiguousarray(np.concatenate(rows), dtype=np.float32)

    def assemble_texts(chunks: list) -> Encoded:
        features = np.concatenate([c.embeddings for c in chunks]) if chunks else np.zeros((0, 0), np.float32)
        return Encoded(features, np.ones(len(texts), bool), {}, "")

    if store is None:
        stats = ExtractStats()
        features = compute(0, len(texts), stats) if texts else np.zeros((0, 0), np.float32)
        return Encoded(features, np.ones(len(texts), bool), {}, "disabled", stats=stats)
    key = make_text_key(method, texts, role=role, extra=extra)
    entry = store.entry(key)
    describe = {"first_text": texts[0] if texts else None}
    if dist is not None and dist.world_size > 1:

        def compute_shard(meta: dict[str, Any], indices: list[int], stats: ExtractStats) -> None:
            ranges = entry.ranges(meta)
            for index in indices:
                start, stop = ranges[index]
                entry.write_chunk(index, start, compute(start, stop, stats), np.ones(stop - start, bool), {})

        return encode_entry_sharded(
            key,
            entry,
            chunk_rows=chunk_rows,
            describe=describe,
            dist=dist,
            compute=compute_shard,
            assemble=assemble_texts,
        )
    stats = ExtractStats()
    with entry.lock():
        meta = entry.open(key, chunk_rows=chunk_rows, describe=describe)
        chunks = []
        missing = 0
        for index, (start, stop) in enumerate(entry.ranges(meta)):
            chunk = entry.read_chunk(meta, index)
            if chunk is None:
                missing += 1
                entry.write_chunk(index, start, compute(start, stop, stats), np.ones(stop - start, bool), {})
                chunk = entry.read_chunk(meta, index)
            else:
                advance_cached(advance, stop - start)
            chunks.append(chunk)
        encoded = assemble_texts(chunks)
        if chunks and not meta.get("complete"):
            entry.mark_complete(meta, encoded.features.shape[1])
    entry.touch_used()
    encoded.key, encoded.chunks_total, encoded.chunks_computed = key.digest, len(chunks), missing
    encoded.status = "hit" if not missing else ("miss" if missing == len(chunks) else "partial")
    encoded.stats = stats
    return encoded
