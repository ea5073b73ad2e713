"""Checks that fail before any work: writable output and cache folders, enough free disk."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from harness.errors import ConfigError

MIN_FREE_MARGIN = 64 * 1024 * 1024  # bytes kept free beyond the estimate


def check_writable(folder: Path, what: str, option: str) -> None:
    """Create ``folder`` if needed and write (then delete) a probe file in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".harness-write-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(
            f"{what} {folder} is not writable ({exc.strerror or exc}); pass {option} DIR pointing to a "
            "writable folder"
        ) from exc


def cache_bytes_estimate(n_items: int, dim: int) -> int:
    """Bytes the cache needs for ``n_items`` float32 rows of size ``dim`` (plus headers)."""
    return n_items * (dim * 4 + 1) + 4096 * max(1, n_items // 1024 + 1)


def check_free_space(folder: Path, needed: int, option: str = "--cache-dir") -> None:
    """Fail when ``folder``'s file system has less than ``needed`` bytes plus a margin free."""
    free = shutil.disk_usage(folder).free
    if free < needed + MIN_FREE_MARGIN:
        raise ConfigError(
            f"not enough free disk for the embedding cache in {folder}: it needs about "
            f"{needed / 2**20:.1f} MiB plus a {MIN_FREE_MARGIN / 2**20:.0f} MiB margin, "
            f"{free / 2**20:.1f} MiB is free; free some space, pass {option} elsewhere, or --no-cache"
        )


def probe_dim(method) -> int:
    """The embedding size of ``method``, from one forward pass on a blank image."""
    import torch

    height, width = method.input_size
    batch = torch.zeros(1, 3, height, width)
    camids = torch.zeros(1, dtype=torch.long) if method.needs_camids else None
    return int(method.encode_image(batch, camids).shape[-1])
