from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from harness.data.base import SYNTH_MARKER
from harness.data.market1501 import Market1501, parse_market_name
from harness.data.registry import DATASETS, get_reader
from harness.errors import DataError

FOLDERS = ("bounding_box_train", "query", "bounding_box_test")


def make_market(root: Path, files: dict[str, list[str]]) -> Path:
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
        for name in files.get(folder, []):
            (root / folder / name).write_bytes(b"")
    return root


def test_parse_names() -> None:
    assert parse_market_name(Path("0002_c1s1_000451_03.jpg"), num_cams=6) == (2, 0)
    assert parse_market_name(Path("-1_c6s2_000100_00.jpg"), num_cams=6) == (-1, 5)
    assert parse_market_name(Path("Thumbs.db"), num_cams=6) is None
    with pytest.raises(DataError, match="does not match the Market pattern"):
        parse_market_name(Path("/x/person_2.jpg"), num_cams=6)
    with pytest.raises(DataError, match=r"camera c7 is out of range 1\.\.6"):
        parse_market_name(Path("/x/0002_c7s1_000451_03.jpg"), num_cams=6)


def test_junk_dropped_distractors_kept_and_camids_zero_based(tmp_path: Path) -> None:
    make_market(
        tmp_path / "Market-1501-v15.09.15",
        {
            "bounding_box_train": ["0002_c1s1_000001_01.jpg", "0002_c2s1_000002_01.jpg"],
            "query": ["0005_c3s1_000003_01.jpg"],
            "bounding_box_test": [
                "0005_c4s1_000004_01.jpg",
                "0000_c1s1_000005_01.jpg",
                "-1_c2s1_000006_01.jpg",
            ],
        },
    )
    read = Market1501().read(tmp_path)
    assert read.found.layout.variant == "fast-reid"
    gallery = read.manifest.select("gallery")
    assert sorted(gallery.pids.tolist()) == [0, 5]  # -1 dropped, 0 kept
    assert read.manifest.select("query").camids.tolist() == [2]
    assert set(read.manifest.select("train").camids.tolist()) == {0, 1}
    assert all(Path(it.path).is_absolute() for it in read.manifest)


def test_distractor_outside_gallery_is_an_error(tmp_path: Path) -> None:
    make_market(
        tmp_path / "market1501",
        {
            "bounding_box_train": ["0000_c1s1_000001_01.jpg"],
            "query": [],
            "bounding_box_test": ["0001_c1s1_000001_01.jpg"],
        },
    )
    with pytest.raises(DataError, match="distractor pid 0000 may only appear in bounding_box_test"):
        Market1501().read(tmp_path)


def test_missing_dataset_lists_every_layout_tried(tmp_path: Path) -> None:
    (tmp_path / "market1501" / "query").mkdir(parents=True)
    with pytest.raises(DataError) as info:
        Market1501().read(tmp_path)
    message = str(info.value)
    assert "Market-1501 not found" in message
    assert "market1501/Market-1501-v15.09.15" in message
    assert "missing bounding_box_train, bounding_box_test" in message


def test_counts_against_canonical_warn_or_fail_under_strict(tmp_path: Path, caplog) -> None:
    make_market(
        tmp_path / "market1501" / "Market-1501-v15.09.15",
        {
            "bounding_box_train": ["0002_c1s1_000001_01.jpg"],
            "query": ["0003_c1s1_000001_01.jpg"],
            "bounding_box_test": ["0003_c2s1_000001_01.jpg"],
        },
    )
    with caplog.at_level(logging.WARNING):
        read = Market1501().read(tmp_path)
    assert not read.counts_ok
    assert "expected 12936 images/751 ids, found 1/1" in caplog.text
    with pytest.raises(DataError, match="counts differ from the canonical ones"):
        Market1501().read(tmp_path, strict=True)


def test_synthetic_world_counts_come_from_its_marker(tiny_world: Path) -> None:
    read = get_reader("market").read(tiny_world, strict=True)
    assert read.synthetic and read.counts_ok
    marker = json.loads((tiny_world / SYNTH_MARKER).read_text())
    counts = marker["datasets"]["market1501"]["counts"]
    assert len(read.manifest.select("gallery")) == counts["gallery"]["images"]
    assert 0 in read.manifest.select("gallery").pids.tolist()


def test_synthetic_count_mismatch_is_detected(tiny_world: Path, tmp_path: Path) -> None:
    copy = tmp_path / "world"
    shutil.copytree(tiny_world / "market1501", copy / "market1501")
    shutil.copy(tiny_world / SYNTH_MARKER, copy / SYNTH_MARKER)
    next((copy / "market1501" / "Market-1501-v15.09.15" / "query").iterdir()).unlink()
    with pytest.raises(DataError, match="query: expected"):
        Market1501().read(copy, strict=True)


def test_registry_knows_market() -> None:
    assert "market-1501" in DATASETS
    assert DATASETS.get("market1501") is Market1501
