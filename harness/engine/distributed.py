"""The process group of a ``torchrun`` job: rank, world size, barrier and broadcast.

Every rank runs the same command; :mod:`harness.engine.shards` splits each cache entry's missing
chunks between the ranks. Only rank 0 scores and writes result records (see
:mod:`harness.runner`). Backend: NCCL when CUDA is available, else gloo.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


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
