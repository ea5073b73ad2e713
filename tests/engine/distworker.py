"""One rank of the sharded-extraction test (spawned by ``torch.multiprocessing``)."""

from __future__ import annotations

import json
import os
from pathlib import Path


def worker(rank: int, world: int, init_file: str, data_root: str, cache: str, out: str) -> None:
    import numpy as np
    import torch
    import torch.distributed as tdist

    torch.set_num_threads(1)
    os.environ["LOCAL_RANK"] = str(rank)
    tdist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        from harness.cache.store import EmbeddingStore
        from harness.data.registry import get_reader
        from harness.engine.distributed import DistContext
        from harness.engine.encoder import encode_images
        from harness.engine.extract import ExtractSettings
        from harness.methods.load import load_method

        gallery = get_reader("market1501").read(Path(data_root)).manifest.select("gallery")
        method = load_method("hsv-hist", device="cpu")
        encoded = encode_images(
            method,
            gallery.paths,
            gallery.camids.tolist(),
            role="gallery",
            settings=ExtractSettings(batch_size=4),
            store=EmbeddingStore(cache),
            chunk_rows=8,
            dist=DistContext.from_group(),
        )
        np.save(Path(out) / f"features-{rank}.npy", encoded.features)
        summary = {
            "status": encoded.status,
            "computed_images": encoded.stats.images,
            "chunks_computed": encoded.chunks_computed,
            "rank": encoded.stats.extra.get("rank"),
        }
        # captions are sharded like images: 20 texts in chunks of 6 -> chunks 0, 2 on rank 0; 1, 3 on rank 1
        from harness.engine.encoder import encode_texts

        texts = [f"a person in a {c} shirt number {i}" for i, c in enumerate(["red", "blue"] * 10)]
        text_encoded = encode_texts(
            load_method("attr-match", device="cpu"),
            texts,
            role="query",
            store=EmbeddingStore(cache),
            chunk_rows=6,
            dist=DistContext.from_group(),
        )
        np.save(Path(out) / f"texts-{rank}.npy", text_encoded.features)
        summary["texts"] = {
            "status": text_encoded.status,
            "computed": text_encoded.stats.images,
            "rank": text_encoded.stats.extra.get("rank"),
        }
        (Path(out) / f"summary-{rank}.json").write_text(json.dumps(summary))
    finally:
        tdist.destroy_process_group()
