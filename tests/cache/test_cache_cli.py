"""``harness cache ls|verify|prune`` on a real store."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from harness.cache.keys import EmbeddingKey
from harness.cache.store import EmbeddingStore
from harness.cli.app import app


def _fill(root: Path, items: str, role: str = "gallery"):
    store = EmbeddingStore(root)
    key = EmbeddingKey(
        method={"name": "m", "dtype": "fp32"}, modality="image", role=role, tta="none", items=items, n_items=6
    )
    entry = store.entry(key)
    meta = entry.open(key, chunk_rows=4, describe={})
    for index, (start, stop) in enumerate(entry.ranges(meta)):
        entry.write_chunk(
            index, start, np.ones((stop - start, 2), np.float32), np.ones(stop - start, bool), {}
        )
    entry.mark_complete(meta, 2)
    return store, entry


def test_ls_verify_prune(cli, tmp_path: Path) -> None:
    root = tmp_path / "c"
    _, good = _fill(root, "a")
    _, bad = _fill(root, "b", role="query")
    result = cli.invoke(app, ["cache", "ls", "--cache-dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "2 entries" in result.output and good.digest[:12] in result.output

    assert cli.invoke(app, ["cache", "verify", "--cache-dir", str(root)]).exit_code == 0
    path = bad.chunk_path(1)
    path.write_bytes(path.read_bytes()[:-7])
    result = cli.invoke(app, ["cache", "verify", "--cache-dir", str(root)])
    assert result.exit_code == 1
    assert "1 of 2 entries intact" in result.output
    assert path.exists()  # verify reports, never deletes

    stale = good.path / ".chunk-000000.safetensors.x.tmp"
    stale.write_bytes(b"partial")
    os.utime(stale, (time.time() - 7200, time.time() - 7200))
    result = cli.invoke(app, ["cache", "prune", "--cache-dir", str(root), "--older-than", "0", "--dry-run"])
    assert result.exit_code == 0 and "would remove" in result.output and good.path.exists()
    result = cli.invoke(app, ["cache", "prune", "--cache-dir", str(root), "--method", "m"])
    assert result.exit_code == 0, result.output
    assert not good.path.exists() and not bad.path.exists() and not stale.exists()
