"""Sharded extraction: two gloo processes split the missing chunks (images, then captions) and assemble
the same matrix."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from harness.cache.store import EmbeddingStore
from harness.engine.encoder import make_key
from harness.engine.extract import extract_image_features


@pytest.mark.slow
def test_two_ranks_encode_disjoint_shards(tiny_world: Path, tmp_path: Path, hsv, market) -> None:
    import torch.multiprocessing as mp

    from tests.engine.distworker import worker

    gallery = market.select("gallery")
    cache, out = tmp_path / "cache", tmp_path / "out"
    out.mkdir()
    # a resumed job: chunk 0 is already cached, so the ranks share the other 11 chunks
    store = EmbeddingStore(cache)

    key = make_key(hsv, gallery.paths, gallery.camids.tolist(), role="gallery", tta="none")
    entry = store.entry(key)
    meta = entry.open(key, chunk_rows=8, describe={})
    first = extract_image_features(hsv, gallery[:8])
    entry.write_chunk(0, 0, first, np.ones(8, bool), {})

    mp.spawn(
        worker, args=(2, str(tmp_path / "init"), str(tiny_world), str(cache), str(out)), nprocs=2, join=True
    )

    reference = extract_image_features(hsv, gallery)
    summaries = [json.loads((out / f"summary-{r}.json").read_text()) for r in (0, 1)]
    for rank in (0, 1):
        assert np.array_equal(np.load(out / f"features-{rank}.npy"), reference)
        assert summaries[rank]["status"] == "partial" and summaries[rank]["chunks_computed"] == 11
        assert summaries[rank]["rank"] == rank
    # chunks 1,3,5,7,9,11 (rank 0: 8+8+8+8+8+6 rows) and 2,4,6,8,10 (rank 1: 5 x 8 rows)
    assert [s["computed_images"] for s in summaries] == [46, 40]
    assert sum(s["computed_images"] for s in summaries) == len(gallery) - 8
    assert store.entry(key).read_meta()["complete"] is True
    assert meta["n_chunks"] == 12
    # captions: the same scheduler (4 chunks of <= 6 texts, none cached, split 2 + 2)
    from harness.engine.encoder import encode_texts
    from harness.methods.load import load_method

    texts = [f"a person in a {c} shirt number {i}" for i, c in enumerate(["red", "blue"] * 10)]
    plain = encode_texts(load_method("attr-match", device="cpu"), texts, role="query", store=None)
    assert [s["texts"]["computed"] for s in summaries] == [12, 8]
    for rank in (0, 1):
        assert summaries[rank]["texts"]["status"] == "miss" and summaries[rank]["texts"]["rank"] == rank
        assert np.allclose(np.load(out / f"texts-{rank}.npy"), plain.features, atol=1e-6)
