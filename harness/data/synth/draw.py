"""Rendering one synthetic image and writing it to disk deterministically."""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from harness.data.synth.captions import captions_for
from harness.data.synth.guard import put
from harness.data.synth.render import render_person
from harness.data.synth.world import CameraStyle, Identity, rng_for, sample_camera, sample_identity

JPEG_QUALITY = 90


@dataclass(frozen=True)
class SynthImage:
    """What was written for one image: its file, labels and captions."""

    path: Path
    pid: int
    camid: int
    view: str
    captions: tuple[str, ...]


@lru_cache(maxsize=4096)
def _identity(seed: int, dataset: str, pid: int) -> Identity:
    return sample_identity(seed, dataset, pid)


@lru_cache(maxsize=256)
def _camera(seed: int, dataset: str, camid: int) -> CameraStyle:
    return sample_camera(seed, dataset, camid)


def write_image(
    path: Path,
    *,
    seed: int,
    dataset: str,
    pid: int,
    camid: int,
    index: int,
    size: tuple[int, int] = (128, 64),
    n_captions: int = 2,
) -> SynthImage:
    """Render image ``index`` of ``pid`` seen by camera ``camid`` (0-based) and save it at ``path``.

    The image depends only on its arguments, so files are byte-identical across runs. The format
    follows the suffix (JPEG at fixed quality, PNG or BMP).
    """
    person = _identity(seed, dataset, abs(pid))
    camera = _camera(seed, dataset, camid)
    rng = rng_for(seed, dataset, "image", pid, camid, index)
    image, view = render_person(person, camera, rng, size=size)
    caps = captions_for(person, view, rng, n=n_captions)
    buffer = io.BytesIO()
    if path.suffix.lower() == ".png":
        image.save(buffer, "PNG", compress_level=1)
    elif path.suffix.lower() == ".bmp":
        image.save(buffer, "BMP")
    else:
        image.save(buffer, "JPEG", quality=JPEG_QUALITY)
    put(path, buffer.getvalue())
    return SynthImage(path=path, pid=pid, camid=camid, view=view, captions=caps)
