"""CUHK03 through torchreid's extracted images + new-protocol .mat (a synthetic v5 .mat via scipy)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from harness.data.registry import get_reader
from harness.errors import DataError

scipy_io = pytest.importorskip("scipy.io")


def make_mat_world(root: Path, *, mode: str = "labeled", bad_idx: bool = False) -> Path:
    base = root / "cuhk03"
    images = base / f"images_{mode}"
    images.mkdir(parents=True)
    names, labels, cams = [], [], []
    # 3 train ids and 2 test ids, 2 views with 2 images each; names {pair}_{pid:03d}_{view}_{img:02d}.png
    for pid in range(1, 6):
        for view in (1, 2):
            for img in (1, 2):
                name = f"1_{pid:03d}_{view}_{(view - 1) * 5 + img:02d}.png"
                (images / name).write_bytes(b"")
                names.append(name)
                labels.append(pid)
                cams.append(view)
    idx = np.arange(1, len(names) + 1)
    train = idx[np.array(labels) <= 3]
    test = idx[np.array(labels) > 3]
    query = np.array([i for i in test if names[i - 1].endswith(("_1_01.png", "_2_06.png"))])
    gallery = np.array([i for i in test if i not in set(query.tolist())])
    if bad_idx:
        gallery = np.append(gallery, len(names) + 7)
    scipy_io.savemat(
        base / f"cuhk03_new_protocol_config_{mode}.mat",
        {
            "filelist": np.array([[n] for n in names], dtype=object),
            "labels": np.array(labels).reshape(-1, 1),
            "camId": np.array(cams).reshape(-1, 1),
            "train_idx": train.reshape(-1, 1),
            "query_idx": query.reshape(-1, 1),
            "gallery_idx": gallery.reshape(-1, 1),
        },
    )
    return root


def test_mat_route_parses_splits_and_offsets_test_pids(tmp_path: Path) -> None:
    read = get_reader("cuhk03-np-labeled").read(make_mat_world(tmp_path))
    m = read.manifest
    assert read.found.layout.variant == "extracted+mat (torchreid)"
    assert [len(m.select(s)) for s in ("train", "query", "gallery")] == [12, 4, 4]
    assert set(m.select("train").pids.tolist()) == {1, 2, 3}
    assert set(m.select("query").pids.tolist()) == {4 + 4, 5 + 4}  # offset by max(train pid) + 1
    assert set(m.camids.tolist()) == {0, 1}


def test_mat_route_index_out_of_range(tmp_path: Path) -> None:
    with pytest.raises(
        DataError, match=r"cuhk03_new_protocol_config_labeled.mat: gallery_idx 27 is outside 1\.\.20"
    ):
        get_reader("cuhk03-np-labeled").read(make_mat_world(tmp_path, bad_idx=True))


def test_mat_route_names_a_missing_image(tmp_path: Path) -> None:
    root = make_mat_world(tmp_path, mode="detected")
    (root / "cuhk03" / "images_detected" / "1_004_1_01.png").unlink()
    with pytest.raises(DataError, match=r"query_idx \d+ names '1_004_1_01.png' but .* does not exist"):
        get_reader("cuhk03-np-detected").read(root)


def test_mat_missing_fields(tmp_path: Path) -> None:
    base = tmp_path / "cuhk03"
    (base / "images_labeled").mkdir(parents=True)
    scipy_io.savemat(base / "cuhk03_new_protocol_config_labeled.mat", {"labels": np.array([1])})
    with pytest.raises(DataError, match="missing field\\(s\\) filelist, camId, train_idx"):
        get_reader("cuhk03").read(tmp_path)


def test_raw_release_without_extraction_names_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "cuhk03" / "cuhk03_release").mkdir(parents=True)
    (tmp_path / "cuhk03" / "cuhk03_release" / "cuhk-03.mat").write_bytes(b"")
    with pytest.raises(
        DataError, match=r"cuhk03 \(missing images_labeled, cuhk03_new_protocol_config_labeled.mat\)"
    ):
        get_reader("cuhk03").read(tmp_path)
