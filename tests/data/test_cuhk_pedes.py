from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.data.cuhk_pedes import CUHKPEDES
from harness.data.registry import get_reader
from harness.errors import DataError


def make(base: Path, entries: list[dict]) -> Path:
    for entry in entries:
        if isinstance(entry.get("file_path"), str):
            (base / "imgs" / entry["file_path"]).parent.mkdir(parents=True, exist_ok=True)
            (base / "imgs" / entry["file_path"]).write_bytes(b"")
    (base / "imgs").mkdir(parents=True, exist_ok=True)
    (base / "reid_raw.json").write_text(json.dumps(entries))
    return base


def entry(split: str, pid: int, path: str, captions: list[str] | None = None) -> dict:
    return {
        "split": split,
        "captions": captions or [f"a person {pid}", f"someone {pid}"],
        "file_path": path,
        "processed_tokens": [],
        "id": pid,
    }


def test_parses_irra_layout(tmp_path: Path) -> None:
    make(
        tmp_path / "CUHK-PEDES",
        [
            entry("train", 1, "CUHK01/0001001.png"),
            entry("val", 2, "cam_a/0002.jpg"),
            entry("test", 3, "Market/0003_c1.jpg", ["a man in red", "red shirt"]),
            entry("test", 3, "test_query/p3.jpg"),
        ],
    )
    read = get_reader("cuhk-pedes").read(tmp_path)
    assert read.found.layout.variant == "irra"
    test = read.manifest.select("test")
    assert test.pids.tolist() == [3, 3]  # 1-based ids kept as they are
    assert test[0].captions == ("a man in red", "red shirt")
    assert set(read.manifest.camids.tolist()) == {0}
    assert read.manifest.splits() == ["train", "val", "test"]
    assert all(Path(it.path).is_absolute() and Path(it.path).is_file() for it in read.manifest)
    assert not read.counts_ok  # tiny hand-made set vs the canonical 11,003/1,000/1,000 ids


def test_synthetic_world_counts(tiny_world: Path) -> None:
    read = CUHKPEDES().read(tiny_world, strict=True)
    assert read.synthetic and read.counts_ok
    assert sum(len(it.captions) for it in read.manifest.select("test")) > len(read.manifest.select("test"))


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        ({"split": "test", "captions": ["x"], "id": 1}, r"entry 0 has no 'file_path' field"),
        ({"split": "dev", "captions": ["x"], "file_path": "a.jpg", "id": 1}, r"split 'dev' is not one of"),
        ({"split": "test", "captions": ["x"], "file_path": "gone.jpg", "id": 1}, r"image 'gone.jpg'"),
        ({"split": "test", "captions": [], "file_path": "a.jpg", "id": 1}, r"'captions' must be"),
        ({"split": "test", "captions": ["x"], "file_path": "a.jpg", "id": "p1"}, r"'id' must be an integer"),
    ],
)
def test_broken_annotation_names_the_file(tmp_path: Path, broken: dict, message: str) -> None:
    base = tmp_path / "CUHK-PEDES"
    (base / "imgs").mkdir(parents=True)
    (base / "imgs" / "a.jpg").write_bytes(b"")
    (base / "reid_raw.json").write_text(json.dumps([broken]))
    with pytest.raises(DataError, match=message) as info:
        CUHKPEDES().read(tmp_path)
    assert "reid_raw.json" in str(info.value)


def test_unreadable_json_and_missing_layout(tmp_path: Path) -> None:
    base = tmp_path / "CUHK-PEDES"
    (base / "imgs").mkdir(parents=True)
    (base / "reid_raw.json").write_text("{not json")
    with pytest.raises(DataError, match=r"reid_raw.json: cannot read annotation file"):
        CUHKPEDES().read(tmp_path)
    (tmp_path / "elsewhere" / "CUHK-PEDES" / "imgs").mkdir(parents=True)
    with pytest.raises(DataError, match=r"(?s)CUHK-PEDES not found .*CUHK-PEDES \(missing reid_raw.json"):
        CUHKPEDES().read(tmp_path / "elsewhere")
