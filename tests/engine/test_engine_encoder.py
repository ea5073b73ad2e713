"""The cached encoder: hits, misses, roles, resume after interruption, TTA and layout options."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.cache.store import EmbeddingStore
from harness.engine.encoder import encode_images
from harness.engine.extract import ExtractSettings, extract_image_features


def _encode(method, manifest, store, role="gallery", chunk_rows=16, progress=None, **settings):
    return encode_images(
        method,
        manifest.paths,
        manifest.camids.tolist(),
        role=role,
        settings=ExtractSettings(batch_size=5, **settings),
        store=store,
        chunk_rows=chunk_rows,
        progress=progress,
    )


class _Counts:
    """A progress callback that tells computed items from items read from the cache."""

    def __init__(self) -> None:
        self.computed = self.cached_items = 0

    def __call__(self, n: int) -> None:
        self.computed += n

    def cached(self, n: int) -> None:
        self.cached_items += n


def test_miss_then_hit_returns_identical_embeddings(hsv, market, tmp_path: Path) -> None:
    gallery = market.select("gallery")
    store = EmbeddingStore(tmp_path)
    first = _encode(hsv, gallery, store)
    assert first.status == "miss" and first.chunks_computed == first.chunks_total == 6
    assert first.stats.images == len(gallery) and first.stats.images_per_s > 0
    second = _encode(hsv, gallery, store)
    assert second.status == "hit" and second.chunks_computed == 0 and second.stats.images == 0
    assert np.array_equal(first.features, second.features)
    assert np.array_equal(first.features, extract_image_features(hsv, gallery))
    assert "computed" not in second.summary() and second.summary()["cache"] == "hit"


def test_same_items_in_two_roles_never_share_an_entry(hsv, market, tmp_path: Path) -> None:
    query = market.select("query")
    store = EmbeddingStore(tmp_path)
    as_query = _encode(hsv, query, store, role="query")
    as_gallery = _encode(hsv, query, store, role="gallery")
    assert as_query.key != as_gallery.key and as_gallery.status == "miss"
    assert len(list(store.entries())) == 2


def test_resume_after_interruption_recomputes_only_missing_chunks(hsv, market, tmp_path: Path) -> None:
    gallery = market.select("gallery")
    store = EmbeddingStore(tmp_path)
    seen = []

    def interrupt(n: int) -> None:
        seen.append(n)
        if sum(seen) >= 40:  # after 2 of 6 chunks (16 rows each) are written
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _encode(hsv, gallery, store, progress=interrupt)
    entry = next(store.entries())
    assert sorted(p.name for p in entry.path.glob("chunk-*")) == [
        "chunk-000000.safetensors",
        "chunk-000001.safetensors",
    ]
    assert not list(entry.path.glob(".*.tmp"))
    counts = _Counts()
    resumed = _encode(hsv, gallery, store, progress=counts)
    assert resumed.status == "partial" and resumed.chunks_computed == 4
    assert (counts.computed, counts.cached_items) == (len(gallery) - 32, 32)  # reaches its total, rate honest
    hit = _Counts()
    assert _encode(hsv, gallery, store, progress=hit).status == "hit"
    assert (hit.computed, hit.cached_items) == (0, len(gallery))  # a hit is "(cached)", never a speed
    assert resumed.stats.images == len(gallery) - 32  # only the rows of the missing chunks
    assert np.array_equal(resumed.features, extract_image_features(hsv, gallery))


def test_damaged_chunk_is_recomputed_not_read(hsv, market, tmp_path: Path) -> None:
    gallery = market.select("gallery")
    store = EmbeddingStore(tmp_path)
    reference = _encode(hsv, gallery, store).features
    entry = next(store.entries())
    path = entry.chunk_path(3)
    path.write_bytes(path.read_bytes()[:-100])  # truncated
    again = _encode(hsv, gallery, store)
    assert again.status == "partial" and again.chunks_computed == 1
    assert np.array_equal(again.features, reference)


def test_flip_is_keyed_and_averages_both_views(hsv, market, tmp_path: Path) -> None:
    import torch

    query = market.select("query")[:6]
    store = EmbeddingStore(tmp_path)
    plain = _encode(hsv, query, store)
    flipped = _encode(hsv, query, store, flip=True)
    assert flipped.key != plain.key and flipped.status == "miss"
    images = torch.stack([hsv.preprocess(__import__("PIL.Image").Image.open(p)) for p in query.paths])
    expected = (hsv.encode_image(images) + hsv.encode_image(torch.flip(images, dims=[3]))) / 2
    assert np.allclose(flipped.features, expected.numpy(), atol=1e-6)


def test_channels_last_and_workers_give_the_same_vectors(hsv, market, tmp_path: Path) -> None:
    query = market.select("query")
    reference = _encode(hsv, query, None).features
    other = _encode(hsv, query, None, channels_last=True, num_workers=2)
    assert other.status == "disabled"
    assert np.allclose(reference, other.features, atol=1e-6)


def test_workers_pinned_loader_preserves_order(hsv, market) -> None:
    gallery = market.select("gallery")
    settings = ExtractSettings(batch_size=7, num_workers=2)
    assert np.array_equal(
        extract_image_features(hsv, gallery, settings=settings), extract_image_features(hsv, gallery)
    )
