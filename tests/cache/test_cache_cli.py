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


def test_ls_at_80_columns_keeps_keys_and_methods_whole_and_has_formats(cli, tmp_path: Path) -> None:
    import csv
    import io
    import json

    root = tmp_path / "c"
    _, entry = _fill(root, "a")
    result = cli.invoke(app, ["cache", "ls", "--cache-dir", str(root)], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and "…" not in result.stdout
    cells = [c.strip() for line in lines if line.startswith("│") for c in line.split("│")[1:3]]
    assert entry.digest[:12] in cells and "m" in cells  # key and method whole, in their own cells
    assert "1 entries" in result.stdout
    as_csv = cli.invoke(app, ["cache", "ls", "--cache-dir", str(root), "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["key"], r["method"], r["items"]) for r in rows] == [(entry.digest, "m", "6")]
    as_json = cli.invoke(app, ["cache", "ls", "--cache-dir", str(root), "--format", "json"]).stdout
    as_json = json.loads(as_json)
    assert as_json[0]["key"] == entry.digest and as_json[0]["complete"] is True and as_json[0]["dim"] == 2
