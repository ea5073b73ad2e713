"""Awkward image files: convertible ones are converted, undecodable ones stop or are skipped."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness.engine.images import decode_rgb, to_rgb
from harness.errors import DataError
from tests.engine.badimages import write_convertible, write_undecodable


def test_convertible_images_become_8bit_rgb(tmp_path: Path) -> None:
    paths = write_convertible(tmp_path)
    for name, path in paths.items():
        image, reason = decode_rgb(str(path))
        assert reason is None, (name, reason)
        assert image.mode == "RGB", name
    gray, _ = decode_rgb(str(paths["grayscale"]))
    array = np.asarray(gray)
    assert (array[..., 0] == array[..., 1]).all() and (array[..., 1] == array[..., 2]).all()
    rgba, _ = decode_rgb(str(paths["rgba"]))
    rgb, _ = decode_rgb(str(paths["rgb"]))
    assert (
        np.abs(np.asarray(rgba, int) - np.asarray(Image.open(paths["rgba"]))[..., :3]).max() == 0
    )  # alpha dropped
    assert rgb.size == (32, 64)
    assert decode_rgb(str(paths["large"]))[0].size == (2400, 4800)


def test_sixteen_bit_is_scaled_not_saturated(tmp_path: Path) -> None:
    paths = write_convertible(tmp_path)
    source = np.asarray(Image.open(paths["sixteen_bit"])).astype(np.int64)
    image, _ = decode_rgb(str(paths["sixteen_bit"]))
    array = np.asarray(image)[..., 0].astype(np.int64)
    assert np.array_equal(array, source >> 8)
    assert array.max() == 247 and (array == 255).mean() == 0  # Pillow's convert("RGB") saturates most at 255
    assert (np.asarray(Image.open(paths["sixteen_bit"]).convert("RGB")) == 255).mean() > 0.9
    assert to_rgb(Image.fromarray(np.full((2, 2), 65535, np.uint16))).getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("zero_byte", "empty file (0 bytes)"),
        ("truncated", "cannot decode image"),
        ("not_an_image", "not an image Pillow can identify"),
        ("huge", "image too large to decode safely"),
    ],
)
def test_undecodable_images_give_a_reason(tmp_path: Path, name: str, reason: str) -> None:
    path = write_undecodable(tmp_path)[name]
    image, why = decode_rgb(str(path))
    assert image is None and why.startswith(reason)


def _world_with_bad_images(tiny_world: Path, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A copy of the tiny world's Market data with three gallery images damaged in place."""
    root = tmp_path / "world"
    shutil.copytree(tiny_world, root, ignore=shutil.ignore_patterns("*.lock"))
    gallery = sorted((root / "market1501").rglob("bounding_box_test/*.jpg"))
    damaged = {
        "empty file (0 bytes)": str(gallery[5]),
        "cannot decode image": str(gallery[9]),
        "not an image Pillow can identify": str(gallery[20]),
    }
    Path(damaged["empty file (0 bytes)"]).write_bytes(b"")
    raw = Path(damaged["cannot decode image"]).read_bytes()
    Path(damaged["cannot decode image"]).write_bytes(raw[: len(raw) // 3])
    Path(damaged["not an image Pillow can identify"]).write_text("plain text\n" * 50)
    # a convertible one must simply work
    Image.open(gallery[11]).convert("L").save(gallery[11], format="JPEG")
    return root, damaged


def test_run_stops_at_the_first_bad_image_or_skips_and_lists(tiny_world: Path, tmp_path: Path) -> None:
    from harness.runner import RunOptions, run_protocol

    root, damaged = _world_with_bad_images(tiny_world, tmp_path)
    options = RunOptions(
        data_root=root,
        out_dir=tmp_path / "out",
        device="cpu",
        cache_dir=tmp_path / "c",
        batch_size=8,
        cache_chunk_rows=16,
    )
    with pytest.raises(DataError) as info:
        run_protocol("single", "hsv-hist", options, legs=["market1501"])
    first = min(damaged.values())
    assert str(info.value).startswith(f"{first}: ")
    assert "--on-bad-image skip" in str(info.value)

    options.on_bad_image = "skip"
    record = run_protocol("single", "hsv-hist", options, legs=["market1501"])[0].record
    listed = {item["path"]: item["reason"] for item in record.engine.skipped}
    assert set(listed) == set(damaged.values())
    for reason, path in damaged.items():
        assert listed[path].startswith(reason)
    assert record.engine.encode["gallery"]["n_skipped"] == 3
    assert record.counts.n_gallery == record.engine.encode["gallery"]["n_items"] - 3
    assert record.conventions["skipped_items"] == 3
    assert any("3 undecodable images were skipped" in note for note in record.notes)

    # the skip list is stored in the cache: a cached re-run skips the same items, an error run still stops
    again = run_protocol("single", "hsv-hist", options, legs=["market1501"])[0].record
    assert again.engine.encode["gallery"]["cache"] == "hit" and again.engine.skipped == record.engine.skipped
    assert again.metrics == record.metrics
    options.on_bad_image = "error"
    with pytest.raises(DataError, match="recorded in the embedding cache"):
        run_protocol("single", "hsv-hist", options, legs=["market1501"])


def test_instance_normalisation_matches_instancenorm2d(tmp_path: Path) -> None:
    import torch

    from harness.methods.adapter import MethodAdapter, WeightsInfo
    from harness.methods.registry import get_card

    card = get_card("hsv-hist").model_copy(update={"normalization": "instance", "input_size": (64, 32)})
    method = MethodAdapter(
        card,
        torch.nn.Identity(),
        variant=None,
        weights=WeightsInfo(kind="weights-free"),
        device=torch.device("cpu"),
    )
    image, _ = decode_rgb(str(write_convertible(tmp_path)["rgb"]))
    got = method.preprocess(image)
    plain = torch.from_numpy(np.asarray(image, dtype=np.float32).transpose(2, 0, 1) / 255.0)
    expected = torch.nn.InstanceNorm2d(3, affine=False)(plain[None])[0]
    assert torch.allclose(got, expected, atol=1e-5)
    assert method.preprocess_config()["normalization"] == "instance"
