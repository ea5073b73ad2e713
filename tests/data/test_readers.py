"""Every reader on the tiny synthetic world, plus layout variants and the counts table."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest

from harness.data.base import SYNTH_MARKER, CountCheck, SplitCounts, count_table
from harness.data.registry import DATASETS, get_reader
from harness.data.synth import WRITERS
from harness.errors import DataError

EXPECTED_VARIANT = {
    "market1501": "torchreid",
    "msmt17": "V1 (msmt17/MSMT17_V1)",
    "cuhk03-np-labeled": "np-folders (cuhk03-np/labeled)",
    "cuhk03-np-detected": "np-folders (cuhk03-np/detected)",
    "cuhksysu": "torchreid",
    "cuhk02": "torchreid",
    "prid2011": "torchreid",
    "grid": "torchreid",
    "viper": "torchreid",
    "ilids": "torchreid",
    "randperson": "qaconv",
    "synthpedes": "plip",
    "dukemtmc": "torchreid",
    "cuhk-pedes": "irra",
    "icfg-pedes": "irra",
    "rstpreid": "irra",
    "finegpr": "release",
}


def test_every_reader_has_a_synthetic_layout_and_docstring() -> None:
    assert set(DATASETS.names()) == set(WRITERS.names()) == set(EXPECTED_VARIANT)
    for name in DATASETS.names():
        reader = DATASETS.get(name)
        module = __import__(reader.__module__, fromlist=["_"])
        assert "anonical" in (module.__doc__ or "") or name == "synthpedes", name
        assert set(reader.splits) >= {k for key in reader.canonical for k in key.split("+")}, name


@pytest.mark.parametrize("name", sorted(EXPECTED_VARIANT))
def test_reader_parses_the_tiny_world_strictly(tiny_world: Path, name: str) -> None:
    read = get_reader(name).read(tiny_world, strict=True)
    assert read.synthetic and read.counts_ok
    assert read.found.layout.variant == EXPECTED_VARIANT[name]
    assert set(read.manifest.splits()) == set(get_reader(name).splits)
    assert all(Path(it.path).is_file() and it.camid >= 0 for it in read.manifest)
    assert len(set(read.manifest.paths)) == len(read.manifest)


def test_msmt17_offsets_test_pids_and_keeps_val_apart(tiny_world: Path) -> None:
    m = get_reader("msmt17").read(tiny_world).manifest
    train_ids = set(m.select("train", "val").pids.tolist())
    test_ids = set(m.select("query", "gallery").pids.tolist())
    assert min(test_ids) == max(train_ids) + 1 and not train_ids & test_ids
    assert len(m.select("val")) > 0 and set(m.select("val").pids.tolist()) <= train_ids
    assert set(m.camids.tolist()) <= set(range(15))


def test_cuhk03_test_pids_never_collide_with_train(tiny_world: Path) -> None:
    m = get_reader("cuhk03").read(tiny_world).manifest
    assert not set(m.select("train").pids.tolist()) & set(m.select("query", "gallery").pids.tolist())
    assert set(m.camids.tolist()) == {0, 1}
    q = m.select("query")
    assert len(q) == 2 * q.num_ids  # one query per camera per test id


def test_cuhk02_namespaces_ids_per_pair_and_cameras(tiny_world: Path) -> None:
    m = get_reader("cuhk02").read(tiny_world).manifest
    # the writer restarts ids in every pair: 2 per pair -> 10 distinct identities
    assert m.num_ids == 10 and set(m.camids.tolist()) == set(range(10))
    assert set(m.select("query").camids.tolist()) == {8} and set(m.select("gallery").camids.tolist()) == {9}


def test_grid_distractors_and_viper_pairing(tiny_world: Path) -> None:
    grid = get_reader("grid").read(tiny_world).manifest
    assert 0 in grid.select("gallery").pids.tolist() and 0 not in grid.select("probe").pids.tolist()
    viper = get_reader("viper").read(tiny_world).manifest
    assert viper.select("cam_a").pids.tolist() == viper.select("cam_b").pids.tolist()


def test_synthpedes_captions_and_extra_fields(tiny_world: Path) -> None:
    m = get_reader("synth-pedes").read(tiny_world).manifest
    assert all(len(it.captions) == 2 for it in m)
    assert all(dict(it.extra)["attributes"] == "person" for it in m)


def test_duke_is_flagged_withdrawn(tiny_world: Path, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        get_reader("duke").read(tiny_world)
    assert DATASETS.get("dukemtmc").withdrawn and "withdrawn" in caplog.text


def _copy_world(tiny_world: Path, tmp_path: Path, src: str, dst: str) -> Path:
    root = tmp_path / "w"
    shutil.copytree(tiny_world / src, root / dst)
    return root


def test_msmt17_v2_and_flat_variants(tiny_world: Path, tmp_path: Path) -> None:
    root = _copy_world(tiny_world, tmp_path, "msmt17/MSMT17_V1", "MSMT17_V2")
    (root / "MSMT17_V2" / "train").rename(root / "MSMT17_V2" / "mask_train_v2")
    (root / "MSMT17_V2" / "test").rename(root / "MSMT17_V2" / "mask_test_v2")
    read = get_reader("msmt17").read(root)
    assert read.found.layout.variant == "V2 (MSMT17_V2)" and not read.synthetic
    assert "mask_train_v2" in read.manifest.select("train")[0].path
    root2 = _copy_world(tiny_world, tmp_path / "b", "msmt17/MSMT17_V1", "MSMT17_V1")
    assert get_reader("msmt17").read(root2).found.layout.variant == "V1 (MSMT17_V1)"


@pytest.mark.parametrize(
    ("name", "src", "dst", "variant"),
    [
        ("cuhksysu", "cuhksysu/cropped_images", "CUHK-SYSU/cropped_images", "cmdg"),
        ("ilids", "ilids/i-LIDS_Pedestrian/Persons", "QMUL-iLIDS/images", "metabin"),
        ("prid2011", "prid2011/prid_2011", "prid_2011", "metabin"),
        ("grid", "grid/underground_reid", "GRID", "metabin"),
        ("cuhk02", "cuhk02/Dataset", "cuhk02", "metabin"),
        ("viper", "viper/VIPeR", "VIPeR", "upper-case"),
        ("randperson", "randperson_subset", "RandPerson/randperson_subset", "upper-case"),
        ("dukemtmc", "dukemtmc-reid/DukeMTMC-reID", "DukeMTMC-reID", "fast-reid"),
        ("cuhk03-np-detected", "cuhk03-np/detected", "CUHK03-NP/detected", "np-folders (CUHK03-NP/detected)"),
    ],
)
def test_public_loader_variants_are_found(tiny_world: Path, tmp_path: Path, name, src, dst, variant) -> None:
    root = _copy_world(tiny_world, tmp_path, src, dst)
    read = get_reader(name).read(root)
    assert read.found.layout.variant == variant
    assert len(read.manifest) == len(get_reader(name).read(tiny_world).manifest)


def test_metabin_cuhksysu_png_names(tmp_path: Path) -> None:
    folder = tmp_path / "CUHK-SYSU" / "cropped_image"
    folder.mkdir(parents=True)
    for name in ("p00001_n01_s00001_hard0.png", "p00001_n02_s00002_hard1.png", "p00002_n01_s00003_hard0.png"):
        (folder / name).write_bytes(b"")
    read = get_reader("cuhksysu").read(tmp_path, strict=True)  # no canonical counts for this variant
    assert read.found.layout.variant == "metabin" and read.manifest.num_ids == 2


def test_count_table_lists_expected_and_found_per_split() -> None:
    table = count_table(
        [
            CountCheck("train", SplitCounts(751, 12936), SplitCounts(751, 12936)),
            CountCheck("query", SplitCounts(None, 3368), SplitCounts(3, 10)),
            CountCheck("extra", None, SplitCounts(1, 1)),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split()[:3] == ["split", "expected", "ids"]
    assert "12,936" in lines[1] and lines[1].rstrip().endswith("ok")
    assert lines[2].split() == ["query", "?", "3", "3,368", "10", "MISMATCH"]
    assert lines[3].split() == ["extra", "?", "1", "?", "1", "ok"]


def test_strict_mismatch_message_holds_the_table(tiny_world: Path, tmp_path: Path) -> None:
    root = _copy_world(tiny_world, tmp_path, "ilids", "ilids")
    marker = json.loads((tiny_world / SYNTH_MARKER).read_text())
    marker["datasets"] = {"ilids": marker["datasets"]["ilids"]}
    (root / SYNTH_MARKER).write_text(json.dumps(marker))
    sorted((root / "ilids" / "i-LIDS_Pedestrian" / "Persons").iterdir())[-1].unlink()
    with pytest.raises(DataError) as info:
        get_reader("ilids").read(root, strict=True)
    message = str(info.value)
    assert (
        "the synthetic world's marker" in message and "MISMATCH" in message and "expected images" in message
    )


def test_canonical_union_keys_are_checked_on_their_union(tiny_world: Path) -> None:
    reader = get_reader("msmt17")
    read = reader.read(tiny_world)
    found = read.found.__class__(read.found.root, read.found.layout, None, tiny_world)
    checks = {c.split: c for c in reader.check_counts(read.manifest, found)}
    assert checks["train+val"].found.images == len(read.manifest.select("train", "val"))
    assert checks["train+val"].expected == SplitCounts(1041, 32621) and not checks["train+val"].ok
    assert checks["train"].expected is None
