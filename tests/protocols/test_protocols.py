"""Built-in protocols: legs resolve, aliases, and training manifests (tiny world and canonical counts)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from harness.cli.app import app
from harness.data.manifest import Item, Manifest
from harness.data.registry import get_reader
from harness.errors import ConfigError, ProtocolError
from harness.protocols import PROTOCOLS, get_protocol
from harness.protocols.training import (
    SourcePart,
    build_training_set,
    check_leg,
    export_training_set,
    shared_leg,
    training_set_for_leg,
)

LEGS = {
    "single": ["market1501", "cuhk03-labeled", "msmt17"],
    "jmcm": ["market1501", "cuhk03-labeled", "msmt17"],
    "p1": ["prid", "grid", "viper", "ilids"],
    "p2": ["C3", "MS", "M"],
    "p3": ["C3", "MS", "M"],
    "cross": [
        "M-C3",
        "M-M",
        "M-MS",
        "MS-C3",
        "MS-M",
        "MS-MS",
        "MSall-C3",
        "MSall-M",
        "RP-C3",
        "RP-M",
        "RP-MS",
        "D-C3",
        "D-M",
        "D-MS",
        "SP-C3",
        "SP-M",
        "MS+SP-C3",
        "MS+SP-M",
    ],
}


@pytest.mark.parametrize("name", sorted(LEGS))
def test_every_leg_resolves(name: str) -> None:
    spec = get_protocol(name)
    assert [leg.name for leg in spec.legs] == LEGS[name]
    for leg in spec.legs:
        check_leg(spec, leg)
        assert spec.evaluation_for(leg).junk == "same-camera"


def test_aliases_and_numbering_notes() -> None:
    assert get_protocol("retext-p1").name == "cross" and get_protocol("retext-p3").name == "p3"
    assert get_protocol("protocol-1").name == "p1" and get_protocol("dtta-jmcm").name == "jmcm"
    assert any("ReText" in n and "'cross'" in n for n in get_protocol("p1").notes)
    assert any("'p1'" in n for n in get_protocol("cross").notes)
    p1 = get_protocol("p1")
    assert all(p1.evaluation_for(leg).trials == 10 and leg.test.splits for leg in p1.legs)
    cross = get_protocol("cross")
    assert {leg.test.dataset for leg in cross.legs} == {"cuhk03-np-detected", "market1501", "msmt17"}
    assert all(not (leg.name.startswith("MSall") and leg.test.dataset == "msmt17") for leg in cross.legs)
    assert set(PROTOCOLS.names()) >= set(LEGS)


def test_p2_and_p3_differ_exactly_in_the_source_parts() -> None:
    p2, p3 = get_protocol("p2"), get_protocol("p3")
    for a, b in zip(p2.legs, p3.legs, strict=True):
        assert a.test == b.test and [s.dataset for s in a.train] == [s.dataset for s in b.train]
        for sa, sb in zip(a.train, b.train, strict=True):
            if sa.dataset == "cuhksysu":
                assert sa.parts == sb.parts == ("train",)
            else:
                assert sa.parts == ("train",) and "query" in sb.parts and "gallery" in sb.parts


def test_bad_part_names_the_protocol_leg_and_parts() -> None:
    spec = get_protocol("p2").model_copy()
    leg = spec.legs[0].model_copy(
        update={"train": (spec.legs[0].train[0].model_copy(update={"parts": ("val",)}),)}
    )
    with pytest.raises(
        ProtocolError, match="leg 'C3': Market-1501 has no part\\(s\\) val; its parts are train"
    ):
        check_leg(spec, leg)


def test_shared_leg_needs_leg_when_training_differs() -> None:
    assert shared_leg(get_protocol("jmcm"), None).name == "market1501"
    with pytest.raises(ConfigError, match="choose one with --leg \\(C3, MS, M\\)"):
        shared_leg(get_protocol("p3"), None)


# -- training sets on the tiny world ------------------------------------------------------------
def test_p3_training_set_excludes_market_distractors_and_namespaces(tiny_world: Path) -> None:
    spec = get_protocol("p3")
    training = training_set_for_leg(spec, spec.leg("MS"), tiny_world)
    market = get_reader("market1501").read(tiny_world).manifest
    n_distractors = int((market.pids == 0).sum())
    by_source = {s["dataset"]: s for s in training.sources}
    assert by_source["market1501"]["excluded_images"] == n_distractors > 0
    assert by_source["market1501"]["images"] == len(market) - n_distractors
    frame = training.to_frame()
    assert not (frame[frame.dataset == "market1501"].pid == 0).any()
    assert frame.train_pid.str.split("_").str[0].isin(["market1501", "cuhksysu", "cuhk03-np-labeled"]).all()
    assert sorted(frame.label.unique()) == list(range(training.num_ids))
    assert training.num_ids == sum(s["ids"] for s in training.sources)


def test_export_csv_and_parquet_round_trip(tiny_world: Path, tmp_path: Path) -> None:
    spec = get_protocol("jmcm")
    training = training_set_for_leg(spec, shared_leg(spec, None), tiny_world)
    for name in ("t.csv", "t.parquet"):
        path = export_training_set(training, tmp_path / name)
        frame = pd.read_csv(path) if name.endswith("csv") else pd.read_parquet(path)
        assert len(frame) == training.num_images and frame.train_pid.nunique() == training.num_ids
    with pytest.raises(ConfigError, match=r"expected a \.csv or \.parquet"):
        export_training_set(training, tmp_path / "t.txt")


def test_manifest_command(cli, tiny_world: Path, tmp_path: Path) -> None:
    out = tmp_path / "p3-ms.csv"
    result = cli.invoke(
        app,
        [
            "data",
            "manifest",
            "--protocol",
            "p3",
            "--leg",
            "MS",
            "--data-root",
            str(tiny_world),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "cuhksysu" in result.output and out.is_file()
    result = cli.invoke(
        app, ["data", "manifest", "--protocol", "p3", "--data-root", str(tiny_world), "--out", str(out)]
    )
    assert result.exit_code == 2 and "--leg" in result.output


# -- training sets at the canonical sizes (file-less manifests shaped like the real splits) ----------
def fake(dataset: str, splits: dict[str, tuple[list[int], int]], cams: int = 2) -> Manifest:
    """Items spread round-robin over the given pids, with the given image count per split (a pid list as
    long as the image count gives each image's pid)."""
    items = []
    for split, (pids, n_images) in splits.items():
        for k in range(n_images):
            pid = pids[k % len(pids)]
            items.append(Item(f"/{dataset}/{split}/{k}.jpg", pid, k % cams, split, dataset))
    return Manifest(items, name=dataset)


MARKET_DISTRACTORS = 2793  # an assumed count: the real number of 0000 images is not verified
CANONICAL = {
    "market1501": fake(
        "market1501",
        {
            "train": (list(range(2, 753)), 12936),
            "query": (list(range(753, 1503)), 3368),
            "gallery": (
                [0] * MARKET_DISTRACTORS + [753 + k % 750 for k in range(15913 - MARKET_DISTRACTORS)],
                15913,
            ),
        },
    ),
    "cuhk03-np-labeled": fake(
        "cuhk03-np-labeled",
        {
            "train": (list(range(1, 768)), 7368),
            "query": (list(range(768, 1468)), 1400),
            "gallery": (list(range(768, 1468)), 5328),
        },
    ),
    "msmt17": fake(
        "msmt17",
        {
            "train": (list(range(1041)), 30248),
            "val": (list(range(0, 1041, 3)), 2373),
            "query": (list(range(1041, 4101)), 11659),
            "gallery": (list(range(1041, 4101)), 82161),
        },
    ),
    "cuhksysu": fake("cuhksysu", {"train": (list(range(1, 11935)), 34574)}),
}


def training_at_canonical_size(protocol: str, leg: str):
    spec = get_protocol(protocol)
    return build_training_set(
        [
            SourcePart(s.dataset, CANONICAL[s.dataset], s.parts, get_reader(s.dataset).train_excluded_pids)
            for s in spec.leg(leg).train
        ]
    )


def test_canonical_sizes_match_the_reader_counts() -> None:
    for name, manifest in CANONICAL.items():
        reader = get_reader(name)
        for key, expected in reader.canonical.items():
            part = manifest.select(*key.split("+"))
            assert (part.num_ids, len(part)) == (expected.ids, expected.images), (name, key)


def test_jmcm_training_set_is_2559_ids_52925_images() -> None:
    training = training_at_canonical_size("jmcm", "msmt17")
    assert (training.num_ids, training.num_images) == (2559, 52925)


def test_p3_with_msmt17_as_source_takes_all_126441_images_4101_ids() -> None:
    for leg in ("C3", "M"):
        training = training_at_canonical_size("p3", leg)
        ms = next(s for s in training.sources if s["dataset"] == "msmt17")
        assert (ms["ids"], ms["images"]) == (4101, 126441)
    training = training_at_canonical_size("p3", "C3")
    market = next(s for s in training.sources if s["dataset"] == "market1501")
    assert market["ids"] == 1501 and market["images"] == 32217 - MARKET_DISTRACTORS
    assert market["excluded_images"] == MARKET_DISTRACTORS
    assert training.num_ids == 1501 + 4101 + 11934


def test_p2_uses_train_splits_and_whole_cuhksysu() -> None:
    training = training_at_canonical_size("p2", "C3")
    got = {s["dataset"]: (s["ids"], s["images"]) for s in training.sources}
    assert got == {"market1501": (751, 12936), "msmt17": (1041, 30248), "cuhksysu": (11934, 34574)}
    training = training_at_canonical_size("p3", "MS")
    got = {s["dataset"]: (s["ids"], s["images"]) for s in training.sources}
    assert got["cuhk03-np-labeled"] == (1467, 14096)


def test_training_option_adds_sources_to_the_manifest(tiny_world) -> None:
    from harness.errors import ConfigError
    from harness.protocols import get_protocol
    from harness.protocols.training import training_set_for_leg, with_training_options

    spec = get_protocol("p2")
    leg = with_training_options(spec, spec.leg("C3"), ["synthpedes"])
    assert [s.dataset for s in leg.train] == ["market1501", "msmt17", "cuhksysu", "synthpedes"]
    training = training_set_for_leg(spec, leg, tiny_world)
    assert [s["dataset"] for s in training.sources][-1] == "synthpedes"
    assert any(r["dataset"] == "synthpedes" and r["captions"] for r in training.rows)
    with pytest.raises(ConfigError, match=r"no training option .luperson.*synthpedes"):
        with_training_options(spec, spec.leg("C3"), ["luperson"])


def test_finegpr_pretraining_manifest(tmp_path) -> None:
    """DMF's pre-training stage: FineGPR alone, from the user's copy in the release layout."""
    from harness.protocols import get_protocol
    from harness.protocols.training import training_set_for_leg, with_training_options

    for pid in (1, 3):
        folder = tmp_path / "FineGPR_Dataset" / "FineGPR" / f"{pid:04d}"
        folder.mkdir(parents=True)
        for view in (1, 10, 36):
            (folder / f"{pid:04d}_c{view:02d}_w01_l02_p03.jpg").write_bytes(b"")
    spec = get_protocol("cross")
    leg = with_training_options(spec, spec.leg("D-M"), ["finegpr-pretrain"])
    training = training_set_for_leg(spec, leg, tmp_path)
    assert (training.num_ids, training.num_images) == (2, 6)
    assert {r["camid"] for r in training.rows} == {0, 9, 35}
    assert {r["train_pid"] for r in training.rows} == {"finegpr_1", "finegpr_3"}
