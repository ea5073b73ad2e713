"""Broken layouts: each gives a specific DataError naming the file and what was expected."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from harness.data.registry import get_reader
from harness.errors import DataError


def touch(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    return path


def copy(tiny_world: Path, tmp_path: Path, rel: str) -> Path:
    shutil.copytree(tiny_world / rel, tmp_path / rel)
    return tmp_path / rel


# -- file names that do not match the dataset's pattern ------------------------------------------
@pytest.mark.parametrize(
    ("name", "rel", "bad", "pattern"),
    [
        ("market1501", "market1501/Market-1501-v15.09.15/query", "img_1.jpg", "Market pattern"),
        ("cuhk03-np-labeled", "cuhk03-np/labeled/bounding_box_train", "x.png", "Market pattern"),
        ("cuhksysu", "cuhksysu/cropped_images", "person1.jpg", "CUHK-SYSU crop pattern"),
        ("prid2011", "prid2011/prid_2011/single_shot/cam_a", "person_12.png", "PRID pattern"),
        ("grid", "grid/underground_reid/probe", "abc.jpeg", "GRID pattern"),
        ("ilids", "ilids/i-LIDS_Pedestrian/Persons", "12345.jpg", "iLIDS pattern"),
        ("randperson", "randperson_subset", "000001_c00.jpg", "RandPerson pattern"),
        ("cuhk02", "cuhk02/Dataset/P2/cam1", "nounderscore.png", "CUHK02 pattern"),
    ],
)
def test_bad_file_names(tiny_world: Path, tmp_path: Path, name, rel, bad, pattern) -> None:
    top = rel.split("/")[0]
    copy(tiny_world, tmp_path, top)
    touch(tmp_path / rel / bad)
    with pytest.raises(DataError, match=pattern) as info:
        get_reader(name).read(tmp_path)
    assert str(tmp_path / rel / bad) in str(info.value)


def test_msmt17_name_without_camera_field(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "msmt17/MSMT17_V1")
    touch(base / "train" / "0001" / "weird.jpg")
    with (base / "list_train.txt").open("a") as handle:
        handle.write("0001/weird.jpg 1\n")
    with pytest.raises(
        DataError, match=r"list_train\.txt:\d+: file name 'weird.jpg' does not match the MSMT17"
    ):
        get_reader("msmt17").read(tmp_path)


# -- missing list files, list entries whose file is missing, malformed lines ---------------------
def test_missing_list_file(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "msmt17/MSMT17_V1")
    (base / "list_val.txt").unlink()
    with pytest.raises(DataError, match=r"missing list_val\.txt"):
        get_reader("msmt17").read(tmp_path)  # the layout needs every list: it names what is missing


def test_list_entry_whose_file_is_missing(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "msmt17/MSMT17_V1")
    first = (base / "list_query.txt").read_text().split()[0]
    (base / "test" / first).unlink()
    with pytest.raises(DataError, match=rf"list_query\.txt:1: lists '{first}' but .* does not exist"):
        get_reader("msmt17").read(tmp_path)


def test_malformed_list_line(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "msmt17/MSMT17_V1")
    with (base / "list_gallery.txt").open("a") as handle:
        handle.write("only-a-path.jpg\n")
    with pytest.raises(DataError, match=r"list_gallery\.txt:\d+: expected '<relative/path.jpg> <pid>'"):
        get_reader("msmt17").read(tmp_path)


def test_synthpedes_annotation_naming_a_missing_file(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "SYNTH-PEDES")
    (base / "Part1" / "1" / "1.jpg").unlink()
    with pytest.raises(DataError, match=r"synthpedes_dataset.json entry 0: file_path 'Part1/1/1.jpg' but"):
        get_reader("synthpedes").read(tmp_path)


# -- empty splits ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "rel"),
    [
        ("market1501", "market1501/Market-1501-v15.09.15/query"),
        ("dukemtmc", "dukemtmc-reid/DukeMTMC-reID/bounding_box_test"),
        ("prid2011", "prid2011/prid_2011/single_shot/cam_b"),
        ("cuhk02", "cuhk02/Dataset/P5/cam2"),
    ],
)
def test_empty_split_folder(tiny_world: Path, tmp_path: Path, name: str, rel: str) -> None:
    copy(tiny_world, tmp_path, rel.split("/")[0])
    for f in (tmp_path / rel).iterdir():
        shutil.rmtree(f) if f.is_dir() else f.unlink()
    with pytest.raises(DataError, match="empty split") as info:
        get_reader(name).read(tmp_path)
    assert str(tmp_path / rel) in str(info.value)


def test_empty_list_file(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "msmt17/MSMT17_V1")
    (base / "list_query.txt").write_text("\n")
    with pytest.raises(DataError, match=r"list_query\.txt: empty split 'query'"):
        get_reader("msmt17").read(tmp_path)


# -- duplicate paths ------------------------------------------------------------------------------
def test_duplicate_list_entry(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "msmt17/MSMT17_V1")
    line = (base / "list_train.txt").read_text().splitlines()[0]
    with (base / "list_val.txt").open("a") as handle:
        handle.write(line + "\n")
    with pytest.raises(DataError, match=r"duplicate path .* \(in split 'train' and again in 'val'\)"):
        get_reader("msmt17").read(tmp_path)


def test_duplicate_synthpedes_entry(tiny_world: Path, tmp_path: Path) -> None:
    import json

    base = copy(tiny_world, tmp_path, "SYNTH-PEDES")
    entries = json.loads((base / "synthpedes_dataset.json").read_text())
    (base / "synthpedes_dataset.json").write_text(json.dumps([*entries, entries[0]]))
    with pytest.raises(DataError, match="duplicate path"):
        get_reader("synthpedes").read(tmp_path)


# -- camera ids out of range ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "rel", "bad", "message"),
    [
        (
            "market1501",
            "market1501/Market-1501-v15.09.15/query",
            "0002_c7s1_000001_01.jpg",
            r"c7 is out of range 1\.\.6",
        ),
        (
            "dukemtmc",
            "dukemtmc-reid/DukeMTMC-reID/query",
            "0002_c9_f0000001.jpg",
            r"c9 is out of range 1\.\.8",
        ),
        ("cuhk03-np-detected", "cuhk03-np/detected/query", "0001_c3_1.png", r"c3 is out of range 1\.\.2"),
        ("grid", "grid/underground_reid/gallery", "0003_9_00001.jpeg", r"camera 9 is out of range 1\.\.8"),
        ("randperson", "randperson_subset", "000001_s11_c00_f000001.jpg", r"scene s11 is out of range"),
        ("randperson", "randperson_subset", "000001_s10_c04_f000001.jpg", r"gives camid 19, outside 0\.\.18"),
    ],
)
def test_camera_out_of_range(tiny_world: Path, tmp_path: Path, name, rel, bad, message) -> None:
    copy(tiny_world, tmp_path, rel.split("/")[0])
    touch(tmp_path / rel / bad)
    with pytest.raises(DataError, match=message) as info:
        get_reader(name).read(tmp_path)
    assert str(tmp_path / rel / bad) in str(info.value)


def test_msmt17_camera_out_of_range(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "msmt17/MSMT17_V1")
    touch(base / "test" / "0000" / "0000_999_16_0303morning_0001_0.jpg")
    with (base / "list_gallery.txt").open("a") as handle:
        handle.write("0000/0000_999_16_0303morning_0001_0.jpg 0\n")
    with pytest.raises(DataError, match=r"camera 16 is out of range 1\.\.15"):
        get_reader("msmt17").read(tmp_path)


# -- other structural problems -------------------------------------------------------------------
def test_viper_unequal_cameras(tiny_world: Path, tmp_path: Path) -> None:
    base = copy(tiny_world, tmp_path, "viper/VIPeR")
    sorted((base / "cam_b").iterdir())[0].unlink()
    with pytest.raises(DataError, match="cam_a has 16 images and cam_b 15"):
        get_reader("viper").read(tmp_path)


def test_missing_dataset_lists_the_layouts_tried(tmp_path: Path) -> None:
    with pytest.raises(DataError) as info:
        get_reader("prid").read(tmp_path)
    message = str(info.value)
    assert "PRID2011 (single-shot) not found" in message
    assert (
        f"{tmp_path}/prid2011/prid_2011 (no such folder)" in message
        and "prid_2011 (no such folder)" in message
    )


def test_layout_missing_a_required_folder(tmp_path: Path) -> None:
    (tmp_path / "grid" / "underground_reid" / "probe").mkdir(parents=True)
    with pytest.raises(DataError, match=r"grid/underground_reid \(missing gallery\)"):
        get_reader("grid").read(tmp_path)
