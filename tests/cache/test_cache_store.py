"""The chunked store: round trips, and every kind of damaged chunk is detected, never read."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.cache.keys import EmbeddingKey
from harness.cache.store import EmbeddingStore


def _key(items: str = "items", n: int = 10) -> EmbeddingKey:
    return EmbeddingKey(
        method={"name": "m"}, modality="image", role="gallery", tta="none", items=items, n_items=n
    )


@pytest.fixture()
def entry_meta(tmp_path: Path):
    store = EmbeddingStore(tmp_path / "cache")
    key = _key()
    entry = store.entry(key)
    meta = entry.open(key, chunk_rows=4, describe={"note": "test"})
    return store, key, entry, meta


def _write_all(entry, meta, dim: int = 3) -> np.ndarray:
    data = np.arange(10 * dim, dtype=np.float32).reshape(10, dim)
    for index, (start, stop) in enumerate(entry.ranges(meta)):
        entry.write_chunk(index, start, data[start:stop], np.ones(stop - start, bool), {})
    return data


def test_layout_and_round_trip(entry_meta) -> None:
    store, key, entry, meta = entry_meta
    assert entry.ranges(meta) == [(0, 4), (4, 8), (8, 10)]
    assert entry.path == store.root / "embeddings" / "v1" / key.digest[:2] / key.digest
    data = _write_all(entry, meta)
    chunks = [entry.read_chunk(meta, i) for i in range(3)]
    assert np.array_equal(np.concatenate([c.embeddings for c in chunks]), data)
    sidecar = json.loads(entry.meta_path.read_text())
    assert sidecar["key_fields"]["role"] == "gallery" and sidecar["describe"] == {"note": "test"}
    assert not list(entry.path.glob(".*.tmp"))


def test_truncated_chunk_is_detected_and_deleted(entry_meta) -> None:
    _, _, entry, meta = entry_meta
    _write_all(entry, meta)
    path = entry.chunk_path(1)
    raw = path.read_bytes()
    for cut in (len(raw) - 5, 20, 3, 0):
        path.write_bytes(raw[:cut])
        assert entry.check_chunk(meta, 1) is not None
        assert entry.read_chunk(meta, 1) is None
        assert not path.exists()
        entry.write_chunk(1, 4, np.zeros((4, 3), np.float32), np.ones(4, bool), {})
    assert entry.read_chunk(meta, 0) is not None


def test_flipped_byte_is_detected(entry_meta) -> None:
    _, _, entry, meta = entry_meta
    _write_all(entry, meta)
    path = entry.chunk_path(0)
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0x40  # inside the tensor data
    path.write_bytes(bytes(raw))
    assert "sha256" in entry.check_chunk(meta, 0)
    assert entry.read_chunk(meta, 0) is None


def test_chunk_from_another_key_or_position_is_rejected(entry_meta, tmp_path: Path) -> None:
    store, _, entry, meta = entry_meta
    other_key = _key(items="other")
    other = store.entry(other_key)
    other_meta = other.open(other_key, chunk_rows=4, describe={})
    _write_all(other, other_meta)
    entry.path.mkdir(parents=True, exist_ok=True)
    entry.chunk_path(0).write_bytes(other.chunk_path(0).read_bytes())
    assert "key" in entry.check_chunk(meta, 0)
    _write_all(entry, meta)
    entry.chunk_path(0).write_bytes(entry.chunk_path(1).read_bytes())  # right key, wrong rows
    assert "chunk" in entry.check_chunk(meta, 0)


def test_sidecar_with_other_key_fields_resets_the_entry(entry_meta) -> None:
    _, key, entry, meta = entry_meta
    _write_all(entry, meta)
    forged = {**meta, "key_fields": {**meta["key_fields"], "role": "query"}}
    entry.meta_path.write_text(json.dumps(forged))
    reopened = entry.open(key, chunk_rows=4, describe={})
    assert reopened["key_fields"]["role"] == "gallery"
    assert not list(entry.path.glob("chunk-*"))


def test_existing_entry_keeps_its_chunking(entry_meta) -> None:
    _, key, entry, _ = entry_meta
    assert entry.open(key, chunk_rows=128, describe={})["chunk_rows"] == 4


def test_bad_rows_round_trip(entry_meta) -> None:
    _, _, entry, meta = entry_meta
    valid = np.array([1, 0, 1, 1], bool)
    entry.write_chunk(0, 0, np.ones((4, 2), np.float32), valid, {1: "empty file (0 bytes)"})
    chunk = entry.read_chunk(meta, 0)
    assert chunk.bad == {1: "empty file (0 bytes)"} and chunk.valid.tolist() == [True, False, True, True]


def test_interrupted_atomic_write_leaves_nothing(tmp_path: Path) -> None:
    from harness.atomic import write_atomic

    target = tmp_path / "file.bin"
    target.write_bytes(b"old")

    def failing(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, failing)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["file.bin"]
