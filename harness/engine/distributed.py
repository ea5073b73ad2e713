"""Sharded extraction over several processes (``torchrun``), through the embedding cache.

Every rank runs the same command. Rank 0 creates (or reads) the cache entry and broadcasts the list
of chunks still missing; rank ``r`` of ``W`` encodes missing chunks ``r, r + W, r + 2W, ...`` and
writes them itself (chunk writes are atomic and disjoint, so ranks never contend); after a barrier
rank 0 marks the entry complete and every rank reads the assembled matrix. Only rank 0 scores and
writes result records (see :mod:`harness.runner`). Backend: NCCL when CUDA is available, else gloo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from harness.cache.keys import EmbeddingKey
from harness.cache.store import CacheEntry
from harness.engine.extract import ExtractSettings, ExtractStats


@dataclass
class DistContext:
    """Rank, world size and local rank of this process (a single process is rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @classmethod
    def from_env(cls) -> DistContext:
        """Join the process group ``torchrun`` describes in the environment (no-op when alone)."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        import torch
        import torch.distributed as tdist

        if not tdist.is_initialized():
            tdist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
        return cls(
            rank=tdist.get_rank(),
            world_size=tdist.get_world_size(),
            local_rank=int(os.environ.get("LOCAL_RANK", "0")),
        )

    @classmethod
    def from_group(cls) -> DistContext:
        """The context of an already initialised default process group."""
        import torch.distributed as tdist

        return cls(
            rank=tdist.get_rank(),
            world_size=tdist.get_world_size(),
            local_rank=int(os.environ.get("LOCAL_RANK", str(tdist.get_rank()))),
        )

    def barrier(self) -> None:
        if self.world_size > 1:
            import torch.distributed as tdist

            tdist.barrier()

    def broadcast(self, value):
        """``value`` from rank 0 on every rank (any picklable object)."""
        if self.world_size == 1:
            return value
        import torch.distributed as tdist

        box = [value]
        tdist.broadcast_object_list(box, src=0)
        return box[0]

    def default_device(self) -> str | None:
        """``cuda:<local_rank>`` under torchrun with CUDA, else None (auto)."""
        import torch

        if self.world_size > 1 and torch.cuda.is_available():
            return f"cuda:{self.local_rank}"
        return None


def encode_entry_sharded(
    method,
    paths,
    camids,
    key: EmbeddingKey,
    entry: CacheEntry,
    settings: ExtractSettings,
    chunk_rows: int,
    describe: dict,
    advance,
    dist: DistContext,
):
    """This rank's share of the missing chunks of ``entry``, then the assembled matrix (all ranks)."""
    from harness.engine.encoder import assemble, compute_chunks

    missing = None
    if dist.is_main:
        with entry.lock():
            meta = entry.open(key, chunk_rows=chunk_rows, describe=describe)
            missing = [i for i in range(len(entry.ranges(meta))) if entry.read_chunk(meta, i) is None]
    missing = dist.broadcast(missing)
    meta = entry.read_meta()
    if meta is None:
        raise RuntimeError(f"cache entry {entry.path} vanished during sharded extraction")
    mine = missing[dist.rank :: dist.world_size]
    stats = ExtractStats(extra={"rank": dist.rank, "world_size": dist.world_size})
    for _ in compute_chunks(method, paths, camids, entry, meta, mine, settings, stats, advance):
        pass
    dist.barrier()
    chunks = [entry.read_chunk(meta, i, delete_bad=False) for i in range(len(entry.ranges(meta)))]
    lost = [i for i, c in enumerate(chunks) if c is None]
    if lost:
        raise RuntimeError(f"cache entry {entry.path}: chunks {lost} missing after every rank finished")
    encoded = assemble(chunks, paths, settings)
    if dist.is_main:
        entry.mark_complete(meta, encoded.features.shape[1])
    dist.barrier()
    n_chunks = len(chunks)
    encoded.key, encoded.chunks_total, encoded.chunks_computed = key.digest, n_chunks, len(missing)
    encoded.status = "hit" if not missing else ("miss" if len(missing) == n_chunks else "partial")
    encoded.stats = stats
    return encoded
