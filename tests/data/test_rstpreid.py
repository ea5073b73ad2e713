from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.data.rstpreid import RSTPReid
from harness.errors import DataError


def test_parses_img_path_key(tmp_path: Path) -> None:
    base = tmp_path / "RSTPReid"
    (base / "imgs").mkdir(parents=True)
    for name in ("0000_c1_00.jpg", "0001_c2_00.jpg"):
        (base / "imgs" / name).write_bytes(b"")
    entries = [
        {"split": "train", "captions": ["a", "b"], "img_path": "0000_c1_00.jpg", "id": 0},
        {"split": "test", "captions": ["c", "d"], "img_path": "0001_c2_00.jpg", "id": 1},
    ]
    (base / "data_captions.json").write_text(json.dumps(entries))
    read = RSTPReid().read(tmp_path)
    assert read.manifest.select("test")[0].captions == ("c", "d")
    assert read.manifest.select("train").pids.tolist() == [0]


def test_file_path_key_is_not_accepted(tmp_path: Path) -> None:
    base = tmp_path / "RSTPReid"
    (base / "imgs").mkdir(parents=True)
    (base / "imgs" / "a.jpg").write_bytes(b"")
    (base / "data_captions.json").write_text(
        json.dumps([{"split": "test", "captions": ["x"], "file_path": "a.jpg", "id": 1}])
    )
    with pytest.raises(DataError, match=r"data_captions.json: entry 0 has no 'img_path' field"):
        RSTPReid().read(tmp_path)


def test_top_level_must_be_a_list(tmp_path: Path) -> None:
    base = tmp_path / "RSTPReid"
    (base / "imgs").mkdir(parents=True)
    (base / "data_captions.json").write_text(json.dumps({"annotations": []}))
    with pytest.raises(DataError, match=r"data_captions.json: expected a JSON list of entries, found dict"):
        RSTPReid().read(tmp_path)


def test_synthetic_world_counts(tiny_world: Path) -> None:
    read = RSTPReid().read(tiny_world, strict=True)
    assert read.synthetic and read.counts_ok
    test = read.manifest.select("test")
    assert all(len(it.captions) == 2 for it in test)
    assert len(test) == 5 * test.num_ids
