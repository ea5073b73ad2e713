"""Batched image embedding extraction with a worker-process DataLoader.

Images are decoded (:func:`harness.engine.images.decode_rgb`) and preprocessed by the method's own
transform in DataLoader workers, collated into pinned memory when the device is CUDA, copied to the
device without blocking, optionally made ``channels_last``, and encoded in batches under
``torch.inference_mode`` and the method's autocast dtype. With ``flip`` the embedding is the mean of
the image's and its horizontal mirror's embeddings (fast-reid's flip test). Rows follow the order
of the given items.

Timing: ``compute_s`` is measured around the forward pass *and* the copy of the result to the host,
which waits for the device to finish, so on CUDA it is real compute time, not kernel-launch time;
``data_wait_s`` is the time the loop waited for the DataLoader (decode + preprocess not hidden by
the workers).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np

from harness.engine.images import decode_rgb
from harness.errors import ConfigError, DataError

if TYPE_CHECKING:
    import torch

    from harness.data.manifest import Manifest
    from harness.methods.adapter import MethodAdapter

BadImagePolicy = Literal["error", "skip"]


@dataclass
class ExtractSettings:
    """How to run the encoder (none of these are part of the cache key except ``flip``)."""

    batch_size: int = 64
    num_workers: int = 0
    flip: bool = False
    channels_last: bool = False
    compile: bool = False
    on_bad_image: BadImagePolicy = "error"

    def __post_init__(self) -> None:
        if self.batch_size < 1:
            raise ConfigError(f"--batch-size must be at least 1, got {self.batch_size}")
        if self.num_workers < 0:
            raise ConfigError(f"--workers must be 0 or more, got {self.num_workers}")
        if self.on_bad_image not in ("error", "skip"):
            raise ConfigError(f"--on-bad-image must be 'error' or 'skip', got {self.on_bad_image!r}")

    @property
    def tta(self) -> str:
        return "flip" if self.flip else "none"


@dataclass
class ExtractStats:
    """What one extraction measured (seconds; images counted once even with flip)."""

    images: int = 0
    wall_s: float = 0.0
    data_wait_s: float = 0.0
    compute_s: float = 0.0
    batches: int = 0
    device: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def images_per_s(self) -> float | None:
        return self.images / self.wall_s if self.wall_s > 0 and self.images else None

    def as_dict(self) -> dict[str, object]:
        return {
            "images": self.images,
            "wall_s": self.wall_s,
            "data_wait_s": self.data_wait_s,
            "compute_s": self.compute_s,
            "images_per_s": self.images_per_s,
            "batches": self.batches,
            "device": self.device,
            **self.extra,
        }


@dataclass
class Batch:
    """One encoded batch: ``rows`` are positions in the caller's item list."""

    rows: np.ndarray  # int64 [B]
    features: np.ndarray  # float32 [B, D] (zeros for invalid rows)
    valid: np.ndarray  # bool [B]
    reasons: list[str]  # "" for valid rows


class ImageListDataset:
    """``(tensor, camid, row, ok, reason)`` per item, decoded with :func:`decode_rgb`.

    An undecodable image yields a zero tensor of the method's input size with ``ok=False`` and the
    reason, so that the policy (stop or skip) is applied in the main process with the exact path.
    """

    def __init__(
        self,
        paths: Sequence[str],
        camids: Sequence[int],
        preprocess: Callable,
        input_size: tuple[int, int],
        rows: Sequence[int] | None = None,
    ) -> None:
        self.paths, self.camids, self.preprocess = list(paths), list(camids), preprocess
        self.rows = list(rows) if rows is not None else list(range(len(self.paths)))
        self.input_size = tuple(input_size)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int):
        import torch

        row = self.rows[index]
        image, reason = decode_rgb(self.paths[row])
        if image is None:
            return torch.zeros(3, *self.input_size), self.camids[row], row, False, reason
        try:
            tensor = self.preprocess(image)
        except (OSError, ValueError) as exc:
            return (
                torch.zeros(3, *self.input_size),
                self.camids[row],
                row,
                False,
                f"preprocess failed ({exc})",
            )
        return tensor, self.camids[row], row, True, ""


def prepare_method(method: MethodAdapter, settings: ExtractSettings) -> None:
    """Apply ``channels_last`` and ``torch.compile`` to the method's network (idempotent)."""
    import torch

    if settings.channels_last and not getattr(method, "_harness_channels_last", False):
        method.model.to(memory_format=torch.channels_last)
        method._harness_channels_last = True  # type: ignore[attr-defined]
    if settings.compile and not getattr(method, "_harness_compiled", False):
        method.model.encode_image = torch.compile(method.model.encode_image)  # type: ignore[method-assign]
        method._harness_compiled = True  # type: ignore[attr-defined]


def _forward(method: MethodAdapter, images: torch.Tensor, camids, settings: ExtractSettings) -> torch.Tensor:
    import torch

    images = images.to(method.device, non_blocking=True)
    if settings.channels_last:
        images = images.contiguous(memory_format=torch.channels_last)
    cams = camids if method.needs_camids else None
    features = method.encode_image(images, cams)
    if settings.flip:
        features = (features + method.encode_image(torch.flip(images, dims=[3]), cams)) / 2
    return features


def iter_batches(
    method: MethodAdapter,
    paths: Sequence[str],
    camids: Sequence[int],
    settings: ExtractSettings,
    *,
    rows: Sequence[int] | None = None,
    stats: ExtractStats | None = None,
) -> Iterator[Batch]:
    """Encode ``paths[rows]`` (all by default) in order, one :class:`Batch` at a time.

    Undecodable images raise :class:`DataError` naming the path and the reason under
    ``on_bad_image="error"``; under ``"skip"`` they come back with ``valid=False``.
    """
    from torch.utils.data import DataLoader

    prepare_method(method, settings)
    dataset = ImageListDataset(paths, camids, method.preprocess, method.input_size, rows)
    loader = DataLoader(
        dataset,
        batch_size=settings.batch_size,
        shuffle=False,
        num_workers=settings.num_workers,
        pin_memory=method.device.type == "cuda",
        persistent_workers=False,
    )
    stats = stats if stats is not None else ExtractStats()
    stats.device = str(method.device)
    start = time.perf_counter()
    iterator = iter(loader)
    while True:
        wait = time.perf_counter()
        try:
            images, cams, batch_rows, ok, reasons = next(iterator)
        except StopIteration:
            break
        stats.data_wait_s += time.perf_counter() - wait
        valid = ok.numpy().astype(bool)
        if not valid.all() and settings.on_bad_image == "error":
            first = int(np.flatnonzero(~valid)[0])
            raise DataError(
                f"{paths[int(batch_rows[first])]}: {reasons[first]} "
                "(pass --on-bad-image skip to leave undecodable images out and list them in the result)"
            )
        tick = time.perf_counter()
        features = (
            _forward(method, images, cams, settings).float().cpu().numpy()
        )  # .cpu() waits for the device
        stats.compute_s += time.perf_counter() - tick
        features = np.ascontiguousarray(features, dtype=np.float32)
        features[~valid] = 0.0
        stats.images += len(valid)
        stats.batches += 1
        stats.wall_s = time.perf_counter() - start
        yield Batch(batch_rows.numpy().astype(np.int64), features, valid, list(reasons))
    stats.wall_s = time.perf_counter() - start


def extract_image_features(
    method: MethodAdapter,
    manifest: Manifest,
    *,
    batch_size: int = 64,
    num_workers: int = 0,
    progress: Callable[[int], None] | None = None,
    settings: ExtractSettings | None = None,
) -> np.ndarray:
    """Embeddings ``[len(manifest), D]`` (float32), in manifest order, without any cache.

    Args:
        progress: called with the number of images finished after each batch.
        settings: extraction settings (``batch_size``/``num_workers`` are used when absent). An
            undecodable image always stops it (:class:`DataError`): it returns every row, so it
            cannot skip one; callers that skip use :func:`iter_batches` and its ``valid`` mask.
    """
    settings = settings or ExtractSettings(batch_size=batch_size, num_workers=num_workers)
    if settings.on_bad_image != "error":
        raise ValueError("extract_image_features returns every row; skip bad images with iter_batches")
    chunks: list[np.ndarray] = []
    for batch in iter_batches(method, manifest.paths, manifest.camids.tolist(), settings):
        chunks.append(batch.features)
        if progress is not None:
            progress(len(batch.rows))
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(chunks, axis=0)
