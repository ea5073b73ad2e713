"""CMDG caption files: attached where present, region captions in ``extra``, clear errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.data.captions import with_captions
from harness.data.registry import get_reader
from harness.errors import ConfigError, DataError


def read_with_cmdg(name: str, root: Path):
    return with_captions(get_reader(name).read(root), "cmdg")


def test_a_reader_alone_attaches_no_method_captions(tiny_world: Path) -> None:
    read = get_reader("market1501").read(tiny_world)
    assert read.captions is None and all(not it.captions for it in read.manifest)
    assert with_captions(read, None) is read
    with pytest.raises(ConfigError, match="unknown caption source 'qwen'; known: cmdg"):
        with_captions(read, "qwen")


def test_cmdg_captions_attached_from_the_data_root(tiny_world: Path) -> None:
    read = read_with_cmdg("market1501", tiny_world)
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
    assert read_with_cmdg("msmt17", tiny_world).captions is None


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
    read = read_with_cmdg("prid", world_with_prid_captions(tiny_world, tmp_path, entries))
    assert read.captions["captioned"] == 1 and read.captions["unmatched"] == 1
    item = next(it for it in read.manifest if it.path.endswith("cam_a/person_0001.png"))
    assert item.captions == ("global",) and dict(item.extra)["caption_middle"] == "middle"


def test_cmdg_file_with_three_captions_is_an_error(tiny_world: Path, tmp_path: Path) -> None:
    entries = [{"train": [{"file_path": "/single_shot/cam_a/person_0001.png", "captions": ["a", "b", "c"]}]}]
    root = world_with_prid_captions(tiny_world, tmp_path, entries)
    with pytest.raises(DataError, match=r"prid.json split 0 train\[0\]: 'captions' must be 4 strings"):
        read_with_cmdg("prid", root)


def test_a_protocol_chooses_its_caption_source(tiny_world: Path, tmp_path: Path) -> None:
    """p1 (CMDG's protocol) attaches CMDG captions to its training sets and records; ``single``
    does not; an unknown source in a protocol file is refused by name."""
    from harness.protocols import get_protocol
    from harness.protocols.spec import ProtocolSpec
    from harness.protocols.training import training_set_for_leg

    p1, single = get_protocol("p1"), get_protocol("single")
    assert p1.captions == "cmdg" and single.captions is None
    rows = training_set_for_leg(p1, p1.legs[0], tiny_world).rows
    market = [r for r in rows if r["dataset"] == "market1501"]
    assert market and all(r["captions"].startswith("The person wears") for r in market)
    with pytest.raises(ValueError, match="unknown caption source 'qwen'"):
        ProtocolSpec.model_validate({**p1.model_dump(), "captions": "qwen"})
