"""The CUDA path (skipped without a GPU): same vectors as CPU, bf16 close, timing synchronised."""

from __future__ import annotations

import numpy as np
import pytest
import torch

pytestmark = [pytest.mark.gpu, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")]


def test_cuda_extraction_matches_cpu(market) -> None:
    from harness.engine.extract import ExtractSettings, ExtractStats, iter_batches
    from harness.methods.load import load_method

    gallery = market.select("gallery")
    cpu = load_method("hsv-hist", device="cpu")
    gpu = load_method("hsv-hist", device="cuda")
    settings = ExtractSettings(batch_size=16, num_workers=2, channels_last=True)
    stats = ExtractStats()
    on_gpu = np.concatenate(
        [b.features for b in iter_batches(gpu, gallery.paths, gallery.camids.tolist(), settings, stats=stats)]
    )
    on_cpu = np.concatenate(
        [
            b.features
            for b in iter_batches(cpu, gallery.paths, gallery.camids.tolist(), ExtractSettings(batch_size=16))
        ]
    )
    assert np.allclose(on_gpu, on_cpu, atol=1e-4)
    assert stats.device.startswith("cuda") and 0 < stats.compute_s <= stats.wall_s


def test_cuda_event_timing_sees_kernel_time() -> None:
    from harness.profiling.timing import measure

    a = torch.randn(4096, 4096, device="cuda")
    result = measure(lambda: a @ a, device="cuda", items=1, warmup=2, iters=5)
    assert result.clock == "cuda-events" and result.peak_memory_bytes > 0
    assert result.median_s > 1e-4  # a 4096^3 matmul is far longer than its launch
