"""``profile_method``: the cost block of one loaded method (params, FLOPs, latency, throughput).

Images are blank tensors already on the device (data loading is excluded: compare with the
``engine.encode.*.computed`` block of a run for end-to-end throughput). Texts are ``caption``
repeated. ``test_set`` (when a test-set size is given) is the compute time of a test set of
``test_images`` images and ``test_texts`` captions, extrapolated from the measured throughput or,
with ``measure_all``, measured by encoding every item (:mod:`harness.profiling.test_set`; seed
004's Table 3 reports the total for CUHK-PEDES: 3,074 images and 6,156 texts at 384x128).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from harness.profiling.flops import count_flops
from harness.profiling.params import tower_parameters
from harness.profiling.test_set import device_name, extrapolated, measured
from harness.profiling.timing import measure

DEFAULT_CAPTION = (
    "A woman with long black hair wears a red short-sleeve shirt, blue jeans and white shoes, "
    "and carries a black backpack."
)


@dataclass
class ProfileSettings:
    """What to measure."""

    input_size: tuple[int, int] | None = None  # (height, width); default: the card's
    batch_size: int = 64  # throughput batch
    warmup: int = 3
    iters: int = 10
    caption: str = DEFAULT_CAPTION
    test_images: int = 0
    test_texts: int = 0
    measure_all: bool = False
    """Time the test set by encoding every item instead of extrapolating from the throughput."""


def profile_method(method, settings: ProfileSettings | None = None) -> dict[str, Any]:
    """The cost block (JSON-ready) of ``method`` on its device and dtype."""
    import torch

    settings = settings or ProfileSettings()
    height, width = settings.input_size or method.input_size
    device = method.device
    camids = (
        (lambda n: torch.zeros(n, dtype=torch.long, device=device))
        if method.needs_camids
        else (lambda n: None)
    )
    one = torch.zeros(1, 3, height, width, device=device)
    many = torch.zeros(settings.batch_size, 3, height, width, device=device)
    image_flops = count_flops(lambda: method.encode_image(one, camids(1)), input_desc=f"1x3x{height}x{width}")
    cost: dict[str, Any] = {
        "method": method.name,
        "variant": method.variant,
        "weights": method.weights.kind,
        "device": str(device),
        "dtype": method.dtype,
        "input_size": [height, width],
        "params": tower_parameters(method, (height, width)),
        "flops_per_image": image_flops.as_dict(),
        "flops_per_text": None,
        "latency_image_b1": measure(
            lambda: method.encode_image(one, camids(1)),
            device=device,
            items=1,
            warmup=settings.warmup,
            iters=settings.iters,
        ).as_dict(),
        "throughput_image": measure(
            lambda: method.encode_image(many, camids(settings.batch_size)),
            device=device,
            items=settings.batch_size,
            warmup=settings.warmup,
            iters=max(3, settings.iters // 2),
        ).as_dict(),
        "latency_text_b1": None,
        "throughput_text": None,
        "torch": torch.__version__,
    }
    if method.has_text:
        texts = [settings.caption] * settings.batch_size
        n_tokens = int(method.tokenize([settings.caption]).shape[-1])
        cost["flops_per_text"] = count_flops(
            lambda: method.encode_text([settings.caption]), input_desc=f"1 caption, {n_tokens} tokens"
        ).as_dict()
        cost["latency_text_b1"] = measure(
            lambda: method.encode_text([settings.caption]),
            device=device,
            items=1,
            warmup=settings.warmup,
            iters=settings.iters,
        ).as_dict()
        cost["throughput_text"] = measure(
            lambda: method.encode_text(texts),
            device=device,
            items=len(texts),
            warmup=settings.warmup,
            iters=max(3, settings.iters // 2),
        ).as_dict()
    if settings.test_images or settings.test_texts:
        if settings.measure_all:
            cost["test_set"] = measured(
                method,
                images=settings.test_images,
                texts=settings.test_texts,
                input_size=(height, width),
                batch_size=settings.batch_size,
                caption=settings.caption,
            )
        else:
            cost["test_set"] = extrapolated(
                cost, images=settings.test_images, texts=settings.test_texts, batch_size=settings.batch_size
            )
    cost["device_name"] = device_name(device)
    return cost
