from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.data.icfg_pedes import ICFGPEDES
from harness.errors import DataError


def make(base: Path, entries: list[dict], annotation: str = "ICFG-PEDES.json") -> Path:
    for entry in entries:
        if isinstance(entry.get("file_path"), str):
            (base / "imgs" / entry["file_path"]).parent.mkdir(parents=True, exist_ok=True)
            (base / "imgs" / entry["file_path"]).write_bytes(b"")
    (base / "imgs").mkdir(parents=True, exist_ok=True)
    (base / annotation).write_text(json.dumps(entries))
    return base


def test_parses_both_annotation_names(tmp_path: Path) -> None:
    entries = [
        {"split": "train", "captions": ["a"], "file_path": "train/0000/0000_001.jpg", "id": 0},
        {"split": "test", "captions": ["b"], "file_path": "test/0001/0001_002.jpg", "id": 1},
    ]
    make(tmp_path / "a" / "ICFG-PEDES", entries)
    read = ICFGPEDES().read(tmp_path / "a")
    assert read.found.layout.variant == "irra"
    assert [(it.split, it.pid, it.captions) for it in read.manifest] == [
        ("train", 0, ("a",)),
        ("test", 1, ("b",)),
    ]
    make(tmp_path / "b" / "ICFG-PEDES", entries, annotation="ICFG_PEDES.json")
    assert ICFGPEDES().read(tmp_path / "b").found.layout.variant == "irra-readme"


def test_synthetic_world_counts(tiny_world: Path) -> None:
    read = ICFGPEDES().read(tiny_world, strict=True)
    assert read.synthetic and read.counts_ok
    assert read.manifest.splits() == ["train", "test"]
    assert all(len(it.captions) == 1 for it in read.manifest)


def test_canonical_mismatch_is_an_error_under_strict(tmp_path: Path) -> None:
    make(tmp_path / "ICFG-PEDES", [{"split": "test", "captions": ["b"], "file_path": "t/1.jpg", "id": 1}])
    with pytest.raises(DataError, match=r"counts differ from the canonical ones .*test: expected 19848"):
        ICFGPEDES().read(tmp_path, strict=True)


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"captions": ["x"], "file_path": "a.jpg", "id": 1}, r"entry 0 has no 'split' field"),
        (
            {"split": "query", "captions": ["x"], "file_path": "a.jpg", "id": 1},
            r"split 'query' is not one of",
        ),
        (
            {"split": "test", "captions": ["x"], "file_path": "b.jpg", "id": 1},
            r"image 'b.jpg' .*does not exist",
        ),
    ],
)
def test_broken_annotation_names_the_file(tmp_path: Path, broken: dict, message: str) -> None:
    base = tmp_path / "ICFG-PEDES"
    (base / "imgs").mkdir(parents=True)
    (base / "imgs" / "a.jpg").write_bytes(b"")
    (base / "ICFG-PEDES.json").write_text(json.dumps([broken]))
    with pytest.raises(DataError, match=message) as info:
        ICFGPEDES().read(tmp_path)
    assert "ICFG-PEDES.json" in str(info.value)
