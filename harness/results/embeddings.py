"""The embeddings behind a result record, read from the embedding cache through the record's keys.

``record.engine.encode.<role>.key`` names the cache entry of each encoded role (text legs: the
gallery images' ``key`` and one caption entry per mask repeat in ``query.keys``). Identities come
from the record's per-query file:

* image legs: the query role's rows are the leg's query images in order of first appearance over
  the trials, which is the order of the per-query rows;
* text legs: the captions of repeat 0 in per-query order, and the gallery images that some ranked
  list references (``gallery_row`` is their row in the gallery entry).

Used by ``harness plot tsne --record``. A record run with ``--no-cache``, or whose cache entry was
pruned, raises ``ResultError`` saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.errors import ResultError
from harness.results.io import read_record
from harness.results.per_query import read_per_query


@dataclass(frozen=True)
class RecordEmbeddings:
    """Image (and caption) embeddings of a record with their identities."""

    image_features: np.ndarray
    image_pids: np.ndarray
    text_features: np.ndarray | None = None
    text_pids: np.ndarray | None = None


def read_entry(store, key: str | None, what: str) -> np.ndarray:
    """All rows of a complete cache entry (``[n_items, D]`` float32); ResultError when absent."""
    if not key:
        raise ResultError(
            f"{what}: no cache key in the record (it was run with --no-cache): no embeddings to read"
        )
    entry = store.entry(key)
    meta = entry.read_meta()
    if meta is None or not meta.get("complete"):
        raise ResultError(
            f"{what}: cache entry {key[:12]} is not in {store.root} (pruned, or another --cache-dir); "
            "re-run `harness run` with the same cache to rebuild it"
        )
    parts = []
    for index in range(len(entry.ranges(meta))):
        chunk = entry.read_chunk(meta, index, delete_bad=False)
        if chunk is None:
            raise ResultError(f"{what}: cache entry {key[:12]} chunk {index} is missing or damaged")
        parts.append(chunk.embeddings)
    return np.concatenate(parts, axis=0)


def record_embeddings(record_path: Path | str, cache_dir: Path | str | None = None) -> RecordEmbeddings:
    """The embeddings and pids behind the record at ``record_path`` (cache: ``--cache-dir`` rules)."""
    from harness.cache.store import EmbeddingStore
    from harness.paths import cache_dir as resolve_cache_dir

    record_path = Path(record_path)
    record = read_record(record_path)
    pq = read_per_query(record, record_path)
    store = EmbeddingStore(resolve_cache_dir(cache_dir))
    encode = record.engine.encode
    query, gallery = encode.get("query", {}), encode.get("gallery", {})
    where = str(record_path)
    if "keys" in query:  # a text leg: captions (repeat 0) and the referenced gallery images
        keys = query.get("keys") or [None]
        text = read_entry(store, keys[0], f"{where} (captions)")
        first = pq["repeat"] == 0
        if len(text) != int(first.sum()):
            raise ResultError(f"{where}: {len(text)} cached captions for {int(first.sum())} per-query rows")
        images = read_entry(store, gallery.get("key"), f"{where} (gallery images)")
        used = np.unique(pq["topk"][first][pq["topk"][first] >= 0])
        rows = pq["gallery_row"][used]
        return RecordEmbeddings(images[rows], pq["gallery_pid"][used], text, pq["pid"][first])
    images = read_entry(store, query.get("key"), f"{where} (query images)")
    _, first_seen = np.unique(pq["query_path"], return_index=True)
    order = np.sort(first_seen)
    if len(images) != len(order):
        raise ResultError(f"{where}: {len(images)} cached query images for {len(order)} distinct queries")
    return RecordEmbeddings(images, pq["pid"][order])
