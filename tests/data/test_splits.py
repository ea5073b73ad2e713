"""Frozen small-target splits: reproducible, well-formed, and resolving to the canonical sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.data.base import DatasetRead, FoundDataset, Layout
from harness.data.manifest import Item, Manifest
from harness.data.registry import get_reader
from harness.data.splits import SPLITS_DIR, frozen_splits, load_split_file, split_set_from_dict
from harness.data.splits.generate import dump, grid_split_set_from_mat, real_split_sets
from harness.data.splits.trials import split_set_for, trial_test_set
from harness.errors import DataError
from harness.protocols.trials import leg_eval_sets


def test_shipped_files_are_exactly_what_the_generator_makes() -> None:
    for name, split_set in real_split_sets().items():
        assert (SPLITS_DIR / f"{name}.json").read_text() == dump(split_set), name


@pytest.mark.parametrize(
    ("name", "n_train", "n_test"),
    [("prid2011", 100, 100), ("grid", 125, 125), ("viper", 316, 316), ("ilids", 59, 60)],
)
def test_shipped_trials_are_disjoint_and_distinct(name: str, n_train: int, n_test: int) -> None:
    split_set = frozen_splits(name)
    assert len(split_set.trials) == 10
    for t in split_set.trials:
        assert len(t.train_ids) == n_train and len(t.test_ids) == n_test
        assert not set(t.train_ids) & set(t.test_ids)
    assert len({t.test_ids for t in split_set.trials}) == 10


def real_like(name: str, parts: dict[str, list[tuple[int, int]]]) -> DatasetRead:
    """A file-less read of ``name`` whose parts hold (pid, camid) items, as on the real dataset."""
    items = [
        Item(f"/data/{name}/{part}/{pid:04d}_{camid}_{k}.img", pid, camid, part, name)
        for part, entries in parts.items()
        for k, (pid, camid) in enumerate(entries)
    ]
    found = FoundDataset(Path(f"/data/{name}"), Layout("real", name, ()), None, Path("/data"))
    return DatasetRead(Manifest(items, name=name), found, [])


def canonical_reads() -> dict[str, DatasetRead]:
    ilids = [(pid, seq) for pid in range(1, 120) for seq in range(4)]  # 476 images
    return {
        "prid2011": real_like(
            "prid2011", {"cam_a": [(p, 0) for p in range(1, 386)], "cam_b": [(p, 1) for p in range(1, 750)]}
        ),
        "grid": real_like(
            "grid",
            {
                "probe": [(p, 0) for p in range(1, 251)],
                "gallery": [(p, 1) for p in range(1, 251)] + [(0, 2)] * 775,
            },
        ),
        "viper": real_like(
            "viper", {"cam_a": [(p, 0) for p in range(632)], "cam_b": [(p, 1) for p in range(632)]}
        ),
        "ilids": real_like("ilids", {"all": ilids}),
    }


@pytest.mark.parametrize(
    ("name", "sizes"),
    [("prid2011", (100, 649)), ("grid", (125, 900)), ("viper", (316, 316)), ("ilids", (60, 60))],
)
def test_trials_on_canonical_size_data_give_the_protocol_sizes(name: str, sizes: tuple[int, int]) -> None:
    read = canonical_reads()[name]
    sets = leg_eval_sets(read, query="query", gallery="gallery", splits=name, trials=10)
    assert len(sets) == 10
    for es in sets:
        assert (len(es.query), len(es.gallery)) == sizes
        assert set(es.query.pids.tolist()) <= set(es.gallery.pids.tolist())
        assert not {it.path for it in es.query} & {it.path for it in es.gallery}


def test_prid_gallery_holds_the_cam_b_distractors() -> None:
    es = trial_test_set(canonical_reads()["prid2011"], frozen_splits("prid2011"), 0)
    assert set(range(201, 750)) <= set(es.gallery.pids.tolist())
    assert set(es.query.camids.tolist()) == {0} and set(es.gallery.camids.tolist()) == {1}


def test_a_missing_test_id_names_the_split_file_and_trial() -> None:
    read = canonical_reads()["viper"]
    pid = frozen_splits("viper").trials[2].test_ids[0]
    broken = real_like(
        "viper", {"cam_a": [(p, 0) for p in range(632) if p != pid], "cam_b": [(p, 1) for p in range(632)]}
    )
    trial_test_set(read, frozen_splits("viper"), 2)
    with pytest.raises(DataError, match=rf"viper.json trial 2: test id {pid} has 0 image\(s\) in 'cam_a'"):
        trial_test_set(broken, frozen_splits("viper"), 2)


def test_a_smaller_copy_fails_the_expected_sizes() -> None:
    read = real_like(
        "grid", {"probe": [(p, 0) for p in range(1, 251)], "gallery": [(p, 1) for p in range(1, 251)]}
    )
    with pytest.raises(DataError, match="125 query / 125 gallery images; the split file expects 125 / 900"):
        trial_test_set(read, frozen_splits("grid"), 0)


def test_ilids_needs_two_images_per_test_id() -> None:
    read = real_like("ilids", {"all": [(p, 0) for p in range(1, 120)]})
    with pytest.raises(DataError, match="expected at least 2 \\(one query, one gallery\\)"):
        trial_test_set(read, frozen_splits("ilids"), 0)


def test_malformed_split_files(tmp_path: Path) -> None:
    good = json.loads((SPLITS_DIR / "prid2011.json").read_text())
    cases = {
        "format": ({**good, "format": 9}, "unknown split format 9"),
        "overlap": ({**good, "trials": [{"train_ids": [1, 2], "test_ids": [2, 3]}]}, "ids \\[2\\] are both"),
        "ids": ({**good, "query": {"part": "cam_a", "ids": "all"}}, "'query' must be"),
        "empty": ({**good, "trials": []}, "'trials' must be a non-empty list"),
    }
    for key, (raw, message) in cases.items():
        path = tmp_path / f"{key}.json"
        path.write_text(json.dumps(raw))
        with pytest.raises(DataError, match=message) as info:
            load_split_file(path)
        assert str(path) in str(info.value)


def test_synthetic_world_uses_the_splits_it_recorded(tiny_world: Path) -> None:
    read = get_reader("prid").read(tiny_world)
    split_set = split_set_for(read, "prid2011")
    assert "synthetic marker" in split_set.origin and len(split_set.trials) == 10
    sets = leg_eval_sets(read, query="query", gallery="gallery", splits="prid2011", trials=10)
    assert all(len(es.query) == 8 and len(es.gallery) == 8 + 8 for es in sets)  # 8 true + 8 cam-B-only


def test_grid_partition_from_the_official_mat_format(tmp_path: Path) -> None:
    import numpy as np
    from scipy.io import savemat

    rng = np.random.default_rng(0)
    cells = np.empty((1, 10), dtype=object)
    for i in range(10):
        cells[0, i] = np.sort(rng.choice(np.arange(1, 251), 125, replace=False)).reshape(1, -1)
    savemat(tmp_path / "features_and_partitions.mat", {"trainIdxAll": cells})
    split_set = grid_split_set_from_mat(tmp_path / "features_and_partitions.mat")
    assert len(split_set.trials) == 10 and split_set.trials[3].train_ids == tuple(
        cells[0, 3].ravel().tolist()
    )
    assert len(split_set.trials[0].test_ids) == 125
    again = split_set_from_dict(json.loads(dump(split_set)), "roundtrip")
    assert again.trials == split_set.trials


def test_grid_uses_the_partition_file_of_the_users_copy(tmp_path: Path) -> None:
    """A real-layout GRID (file-less images) with features_and_partitions.mat: its trials win."""
    import numpy as np
    from scipy.io import savemat

    from harness.data.registry import get_reader
    from harness.protocols.trials import leg_eval_sets

    root = tmp_path / "grid" / "underground_reid"
    (root / "probe").mkdir(parents=True)
    (root / "gallery").mkdir()
    for pid in range(1, 251):
        cam = 1 + pid % 8
        (root / "probe" / f"{pid:04d}_{cam}_25004_107_32_106_221.jpeg").write_bytes(b"")
        (root / "gallery" / f"{pid:04d}_{1 + (cam % 8)}_25004_107_32_106_221.jpeg").write_bytes(b"")
    for n in range(775):
        (root / "gallery" / f"0000_{1 + n % 8}_{n:05d}_1_1_1_1.jpeg").write_bytes(b"")
    read = get_reader("grid").read(tmp_path)
    shipped = leg_eval_sets(read, query="probe", gallery="gallery", splits="grid", trials=10)
    assert shipped[0].source.endswith("grid.json")

    rng = np.random.default_rng(7)
    cells = np.empty((1, 10), dtype=object)
    for i in range(10):
        cells[0, i] = np.sort(rng.choice(np.arange(1, 251), 125, replace=False)).reshape(1, -1)
    savemat(root / "features_and_partitions.mat", {"trainIdxAll": cells})
    official = leg_eval_sets(read, query="probe", gallery="gallery", splits="grid", trials=10)
    assert official[0].source == str(root / "features_and_partitions.mat")
    for i in (0, 9):
        test_ids = set(range(1, 251)) - set(cells[0, i].ravel().tolist())
        assert set(official[i].query.pids.tolist()) == test_ids
        assert (len(official[i].query), len(official[i].gallery)) == (125, 900)
