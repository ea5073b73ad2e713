"""Batched image embedding extraction with a worker-process DataLoader.

Images are decoded and preprocessed by the method's own transform in DataLoader workers (pinned
memory when the device is CUDA) and encoded in batches under ``torch.inference_mode``. Output rows
follow the manifest order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from harness.errors import DataError

if TYPE_CHECKING:
    from harness.data.manifest import Manifest
    from harness.methods.adapter import MethodAdapter


class ImageListDataset:
    """``(tensor, camid)`` for each path, decoded with Pillow and transformed by ``preprocess``."""

    def __init__(self, paths: Sequence[str], camids: Sequence[int], preprocess: Callable) -> None:
        self.paths, self.camids, self.preprocess = list(paths), list(camids), preprocess

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int):
        from PIL import Image, UnidentifiedImageError

        path = self.paths[index]
        try:
            with Image.open(path) as image:
                image.load()
                tensor = self.preprocess(image)
        except (OSError, UnidentifiedImageError) as exc:
            raise DataError(f"{path}: cannot decode image ({exc})") from exc
        return tensor, self.camids[index]


def extract_image_features(
    method: MethodAdapter,
    manifest: Manifest,
    *,
    batch_size: int = 64,
    num_workers: int = 0,
    progress: Callable[[int], None] | None = None,
) -> np.ndarray:
    """Embeddings ``[len(manifest), D]`` (float32), in manifest order.

    Args:
        progress: called with the number of images finished after each batch.
    """
    from torch.utils.data import DataLoader

    dataset = ImageListDataset(manifest.paths, manifest.camids.tolist(), method.preprocess)
    loader = DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=False,
        num_workers=num_workers,
        pin_memory=method.device.type == "cuda",
        persistent_workers=False,
    )
    chunks: list[np.ndarray] = []
    for images, camids in loader:
        features = method.encode_image(images, camids if method.needs_camids else None)
        chunks.append(features.cpu().numpy().astype(np.float32, copy=False))
        if progress is not None:
            progress(len(images))
    if not chunks:
        return np.zeros((0, 0), dtype=np.float32)
    return np.concatenate(chunks, axis=0)
