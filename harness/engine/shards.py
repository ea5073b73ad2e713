"""The shard scheduler of one cache entry under ``torchrun``: who encodes which missing chunk.

Every rank runs the same command. Rank 0 creates (or reads) the cache entry and broadcasts the list
of chunks still missing; rank ``r`` of ``W`` encodes missing chunks ``r, r + W, r + 2W, ...`` and
writes them itself (chunk writes are atomic and disjoint, so ranks never contend); after a barrier
every rank reads the assembled matrix and rank 0 marks the entry complete. The scheduler knows
nothing about images or texts: the encoder passes how to compute chunks and how to assemble them
(:func:`harness.engine.encoder.encode_images`, :func:`harness.engine.encoder.encode_texts`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from harness.engine.extract import ExtractStats

if TYPE_CHECKING:
    from harness.cache.keys import EmbeddingKey
    from harness.cache.store import CacheEntry, Chunk
    from harness.engine.distributed import DistContext
    from harness.engine.encoder import Encoded

ComputeChunks = Callable[[dict[str, Any], list[int], ExtractStats], None]
"""``compute(meta, indices, stats)``: encode and write the chunks ``indices`` of the open entry."""

Assemble = Callable[[list["Chunk"]], "Encoded"]
"""``assemble(chunks)``: the entry's matrix from every validated chunk, in order."""


def encode_entry_sharded(
    key: EmbeddingKey,
    entry: CacheEntry,
    *,
    chunk_rows: int,
    describe: dict[str, Any],
    dist: DistContext,
    compute: ComputeChunks,
    assemble: Assemble,
) -> Encoded:
    """This rank's share of the missing chunks of ``entry``, then the assembled matrix (all ranks)."""
    missing = None
    if dist.is_main:
        with entry.lock():
            meta = entry.open(key, chunk_rows=chunk_rows, describe=describe)
            missing = [i for i in range(len(entry.ranges(meta))) if entry.read_chunk(meta, i) is None]
    missing = dist.broadcast(missing)
    meta = entry.read_meta()
    if meta is None:
        raise RuntimeError(f"cache entry {entry.path} vanished during sharded extraction")
    stats = ExtractStats(extra={"rank": dist.rank, "world_size": dist.world_size})
    compute(meta, missing[dist.rank :: dist.world_size], stats)
    dist.barrier()
    chunks = [entry.read_chunk(meta, i, delete_bad=False) for i in range(len(entry.ranges(meta)))]
    lost = [i for i, c in enumerate(chunks) if c is None]
    if lost:
        raise RuntimeError(f"cache entry {entry.path}: chunks {lost} missing after every rank finished")
    encoded = assemble(chunks)  # type: ignore[arg-type]
    if dist.is_main:
        entry.mark_complete(meta, encoded.features.shape[1])
    dist.barrier()
    n_chunks = len(chunks)
    encoded.key, encoded.chunks_total, encoded.chunks_computed = key.digest, n_chunks, len(missing)
    encoded.status = "hit" if not missing else ("miss" if len(missing) == n_chunks else "partial")
    encoded.stats = stats
    return encoded
