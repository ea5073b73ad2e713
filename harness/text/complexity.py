"""Cost of text-to-image methods for the complexity table (seed 004 Table 3): params, FLOPs, and the
inference time over a test set of ``texts`` captions and ``images`` images at ``HxW``.

:func:`method_cost` returns :func:`harness.profiling.profile.profile_method`'s block (params per
tower, FLOPs per image and per text, latency, throughput) with its ``test_set`` entry set one of
two ways, recorded in ``test_set.how``:

* ``extrapolated`` (default): ``images / image throughput + texts / text throughput``, the
  throughputs being the median of timed in-memory batches of ``batch_size`` (profile_method's);
* ``measured``: every one of the ``images`` blank images and ``texts`` captions is encoded, in
  batches of ``batch_size``, after one warm-up batch of each, and the total wall time is taken (CUDA
  synchronised before the clock is read).

Both are model compute: inputs are tensors already on the device (images) or caption strings
(texts, tokenised inside the timed call, as a run does); decoding, preprocessing and scoring are
excluded. The caption is :data:`harness.profiling.profile.DEFAULT_CAPTION` (CLIP-family towers pad
every caption to the context length, so their text cost does not depend on it).
"""

from __future__ import annotations

import time
from typing import Any

from harness.errors import ConfigError
from harness.profiling.profile import DEFAULT_CAPTION, ProfileSettings, profile_method

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


def measure_test_set(
    method: Any, *, images: int, texts: int, input_size: tuple[int, int], batch_size: int
) -> dict[str, Any]:
    """Wall time of encoding ``images`` blank images and ``texts`` captions (module docstring)."""
    import torch

    height, width = input_size
    device = method.device

    def camids(n: int):
        return torch.zeros(n, dtype=torch.long, device=device) if method.needs_camids else None

    batch = torch.zeros(batch_size, 3, height, width, device=device)
    captions = [DEFAULT_CAPTION] * batch_size

    def encode_images(n: int) -> None:
        method.encode_image(batch[:n], camids(n))

    def encode_texts(n: int) -> None:
        method.encode_text(captions[:n])

    timed: dict[str, float] = {}
    for kind, total, encode in (("images", images, encode_images), ("texts", texts, encode_texts)):
        if total == 0:
            timed[kind] = 0.0
            continue
        if kind == "texts" and not method.has_text:
            raise ConfigError(f"method {method.name!r} has no text encoder; give --texts 0")
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


def method_cost(
    method: Any,
    *,
    input_size: tuple[int, int] | None = None,
    images: int = CUHK_PEDES_TEST["images"],
    texts: int = CUHK_PEDES_TEST["texts"],
    batch_size: int = 64,
    measure_all: bool = False,
    warmup: int = 2,
    iters: int = 5,
) -> dict[str, Any]:
    """The profile block of ``method`` with ``test_set`` extrapolated or measured, and ``device_name``."""
    size = input_size or tuple(method.input_size)
    cost = profile_method(
        method,
        ProfileSettings(
            input_size=size,
            batch_size=batch_size,
            warmup=warmup,
            iters=iters,
            test_images=0 if measure_all else images,
            test_texts=0 if measure_all else texts,
        ),
    )
    if measure_all:
        cost["test_set"] = measure_test_set(
            method, images=images, texts=texts, input_size=size, batch_size=batch_size
        )
    else:
        block = cost.get("test_set") or {"images": images, "texts": texts, "compute_s": 0.0}
        block["how"] = "extrapolated"
        block["batch_size"] = batch_size
        block["iters"] = cost["throughput_image"]["iters"]
        cost["test_set"] = block
    cost["device_name"] = device_name(method.device)
    return cost
