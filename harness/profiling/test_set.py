"""Inference time over a whole test set (seed 004 Table 3: CUHK-PEDES test, 6,156 captions and
3,074 images at 384x128), obtained one of two ways and recorded in the block's ``how``:

* ``extrapolated`` (default): ``images / image throughput + texts / text throughput``, the
  throughputs being the medians of timed in-memory batches (:func:`extrapolated`);
* ``measured``: every one of the ``images`` blank images and ``texts`` captions is encoded, in
  batches of ``batch_size``, after one warm-up batch of each, and the total wall time is taken
  (CUDA synchronised before the clock is read; :func:`measured`).

Both are model compute: inputs are tensors already on the device (images) or caption strings
(texts, tokenised inside the timed call, as a run does); decoding, preprocessing and scoring are
excluded, so both are lower bounds of a paper's "total time to evaluate the test set".
"""

from __future__ import annotations

import time
from typing import Any

from harness.errors import ConfigError

CUHK_PEDES_TEST = {"texts": 6156, "images": 3074, "input_size": (384, 128)}
"""Seed 004 Table 3's test set: CUHK-PEDES test, 6,156 captions and 3,074 images at 384x128."""


def device_name(device: Any) -> str:
    """``cpu`` or ``cuda:0 (NVIDIA H100 80GB HBM3)``."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def _sync(device: Any) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def extrapolated(cost: dict[str, Any], *, images: int, texts: int, batch_size: int) -> dict[str, Any]:
    """The test-set block from a cost block's throughputs: ``images / image throughput + texts /
    text throughput`` (None seconds when ``texts`` need a text throughput the block lacks). The one
    formula for ``harness profile``, its complexity table and the cost cells of records."""
    seconds: float | None = images / cost["throughput_image"]["items_per_s"] if images else 0.0
    if texts:
        rate = (cost.get("throughput_text") or {}).get("items_per_s")
        seconds = None if not rate or seconds is None else seconds + texts / rate
    return {
        "images": images,
        "texts": texts,
        "compute_s": seconds,
        "batch_size": batch_size,
        "iters": cost["throughput_image"].get("iters"),
        "how": "extrapolated",
    }


def measured(
    method: Any, *, images: int, texts: int, input_size: tuple[int, int], batch_size: int, caption: str
) -> dict[str, Any]:
    """Wall time of encoding ``images`` blank images and ``texts`` copies of ``caption`` (module
    docstring)."""
    import torch

    height, width = input_size
    device = method.device

    def camids(n: int):
        return torch.zeros(n, dtype=torch.long, device=device) if method.needs_camids else None

    batch = torch.zeros(batch_size, 3, height, width, device=device)
    captions = [caption] * batch_size

    def encode_images(n: int) -> None:
        method.encode_image(batch[:n], camids(n))

    def encode_texts(n: int) -> None:
        method.encode_text(captions[:n])

    if texts and not method.has_text:
        raise ConfigError(f"method {method.name!r} has no text encoder; give --test-texts 0")
    timed: dict[str, float] = {}
    for kind, total, encode in (("images", images, encode_images), ("texts", texts, encode_texts)):
        if total == 0:
            timed[kind] = 0.0
            continue
        encode(min(batch_size, total))  # warm-up
        _sync(device)
        tick = time.perf_counter()
        for start in range(0, total, batch_size):
            encode(min(batch_size, total - start))
        _sync(device)
        timed[kind] = time.perf_counter() - tick
    return {
        "images": images,
        "texts": texts,
        "compute_s": timed["images"] + timed["texts"],
        "images_s": timed["images"],
        "texts_s": timed["texts"],
        "batch_size": batch_size,
        "how": "measured",
    }
