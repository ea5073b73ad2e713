"""The content-addressed embedding cache: keys (:mod:`.keys`) and the chunked store (:mod:`.store`)."""

from __future__ import annotations

from harness.cache.keys import CACHE_FORMAT_VERSION, EmbeddingKey, items_digest
from harness.cache.store import DEFAULT_CHUNK_ROWS, CacheEntry, EmbeddingStore

__all__ = [
    "CACHE_FORMAT_VERSION",
    "DEFAULT_CHUNK_ROWS",
    "CacheEntry",
    "EmbeddingKey",
    "EmbeddingStore",
    "items_digest",
]
