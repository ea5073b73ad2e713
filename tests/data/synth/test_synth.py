from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from harness.data.synth import synthesize
from harness.data.synth.captions import captions_for
from harness.data.synth.world import rng_for, sample_camera, sample_identity
from harness.errors import ConfigError


def tree_digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_byte_identical_files(tiny_world: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    synthesize(again, scale="tiny", seed=0)
    assert tree_digest(again) == tree_digest(tiny_world)


def test_another_seed_gives_another_world(tmp_path: Path) -> None:
    a = tree_digest(Path(synthesize(tmp_path / "a", seed=1, datasets=["market1501"]) and tmp_path / "a"))
    b = tree_digest(Path(synthesize(tmp_path / "b", seed=2, datasets=["market1501"]) and tmp_path / "b"))
    assert a != b


def test_images_look_like_pedestrian_crops(tiny_world: Path) -> None:
    paths = sorted((tiny_world / "market1501" / "Market-1501-v15.09.15" / "query").glob("*.jpg"))
    assert paths
    with Image.open(paths[0]) as image:
        assert image.size == (64, 128) and image.mode == "RGB"
        pixels = np.asarray(image, dtype=np.float32)
    assert pixels.std() > 10  # not a flat colour


def test_identities_are_stable_and_cameras_differ() -> None:
    assert sample_identity(0, "market1501", 7) == sample_identity(0, "market1501", 7)
    assert sample_identity(0, "market1501", 7) != sample_identity(0, "market1501", 8)
    assert sample_camera(0, "market1501", 0) != sample_camera(0, "market1501", 1)


def test_captions_name_the_attributes() -> None:
    person = sample_identity(0, "market1501", 7)
    texts = captions_for(person, "front", rng_for(0, "t"), n=8)
    assert len(texts) == 8
    assert all(person.upper_colour in t or person.lower_colour in t for t in texts)
    assert len(set(texts)) > 1  # templates vary


def test_refuses_to_mix_worlds_in_one_root(tmp_path: Path) -> None:
    synthesize(tmp_path, seed=0, datasets=["market1501"])
    with pytest.raises(ConfigError, match="already holds a synthetic world with seed 0"):
        synthesize(tmp_path, seed=5, datasets=["market1501"])
    with pytest.raises(ConfigError, match="unknown synthetic scale"):
        synthesize(tmp_path / "x", scale="huge")
