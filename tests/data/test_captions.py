"""CMDG caption files: attached where present, region captions in ``extra``, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.data.registry import get_reader
from harness.errors import DataError


def test_cmdg_captions_attached_from_the_data_root(tiny_world: Path) -> None:
    read = get_reader("market1501").read(tiny_world)
    assert read.captions == {
        "path": str(tiny_world / "captions" / "cmdg" / "market1501.json"),
        "captioned": len(read.manifest),
        "unmatched": 0,
    }
    item = read.manifest[0]
    assert len(item.captions) == 1 and item.captions[0].startswith("The person wears")
    extra = dict(item.extra)
    assert extra["caption_upper"].startswith("The upper third") and extra["caption_lower"].startswith(
        "The lower third"
    )
    assert get_reader("msmt17").read(tiny_world).captions is None


def world_with_prid_captions(tiny_world: Path, tmp_path: Path, entries: list) -> Path:
    shutil.copytree(tiny_world / "prid2011", tmp_path / "prid2011")
    (tmp_path / "captions" / "cmdg").mkdir(parents=True)
    (tmp_path / "captions" / "cmdg" / "prid.json").write_text(json.dumps(entries))
    return tmp_path


def test_cmdg_entries_match_by_path_suffix_and_unmatched_are_counted(
    tiny_world: Path, tmp_path: Path
) -> None:
    caps = ["global", "upper", "middle", "lower"]
    entries = [
        {
            "train": [
                {"id": 1, "camid": 0, "file_path": "/single_shot/cam_a/person_0001.png", "captions": caps}
            ],
            "query": [
                {"id": 999, "camid": 0, "file_path": "/single_shot/cam_a/person_0999.png", "captions": caps}
            ],
        },
        {
            "train": [
                {"id": 1, "camid": 0, "file_path": "/single_shot/cam_a/person_0001.png", "captions": caps}
            ]
        },
    ]
    read = get_reader("prid").read(world_with_prid_captions(tiny_world, tmp_path, entries))
    assert read.captions["captioned"] == 1 and read.captions["unmatched"] == 1
    item = next(it for it in read.manifest if it.path.endswith("cam_a/person_0001.png"))
    assert item.captions == ("global",) and dict(item.extra)["caption_middle"] == "middle"


def test_cmdg_file_with_three_captions_is_an_error(tiny_world: Path, tmp_path: Path) -> None:
    entries = [{"train": [{"file_path": "/single_shot/cam_a/person_0001.png", "captions": ["a", "b", "c"]}]}]
    root = world_with_prid_captions(tiny_world, tmp_path, entries)
    with pytest.raises(DataError, match=r"prid.json split 0 train\[0\]: 'captions' must be 4 strings"):
        get_reader("prid").read(root)
