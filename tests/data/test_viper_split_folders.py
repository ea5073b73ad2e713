"""MetaBIN's VIPeR ``split_Na`` folders in the user's copy: P1 VIPeR trials read from them (issue 13)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from harness.cli.app import app
from harness.data.registry import get_reader
from harness.data.synth.layouts.small_targets import write_viper_split_folders
from harness.errors import DataError
from harness.protocols.trials import leg_eval_sets
from harness.results.io import iter_record_paths, read_record

RUN = ["run", "-p", "p1", "--leg", "viper", "-m", "hsv-hist", "--device", "cpu"]
OPTS = ["--no-progress", "--no-cache"]


def _world(tiny_world: Path, tmp_path: Path) -> Path:
    world = tmp_path / "world"
    world.mkdir()
    shutil.copy(tiny_world / "harness-synthetic.json", world / "harness-synthetic.json")
    shutil.copytree(tiny_world / "viper", world / "viper")
    return world


def _eval_sets(world: Path, trials: int = 10):
    read = get_reader("viper").read(world)
    return leg_eval_sets(read, query="cam_a", gallery="cam_b", splits="viper", trials=trials)


def _files(folder: Path) -> list[str]:
    return sorted(str(p.resolve()) for p in folder.iterdir())


def test_p1_viper_run_reads_the_split_folders_and_names_them(tiny_world: Path, tmp_path: Path, cli) -> None:
    world = _world(tiny_world, tmp_path)
    plain = cli.invoke(app, [*RUN, *OPTS, "--data-root", str(world), "--out", str(tmp_path / "frozen")])
    assert plain.exit_code == 0, plain.output
    [frozen] = [read_record(p) for p in iter_record_paths(tmp_path / "frozen")]
    assert frozen.data["viper"].trials == 10 and "split_1a" not in (frozen.data["viper"].split_source or "")

    folders = write_viper_split_folders(world, 3)
    result = cli.invoke(app, [*RUN, *OPTS, "--data-root", str(world), "--out", str(tmp_path / "frozen")])
    assert result.exit_code == 0, result.output
    # the split source is part of the identity: the second run has its own path beside the first
    out = tmp_path / "frozen"
    paths = sorted(p.relative_to(out).as_posix() for p in iter_record_paths(out))
    assert paths == ["hsv-hist/p1/viper+splits-metabin.json", "hsv-hist/p1/viper.json"]
    record = read_record(tmp_path / "frozen" / paths[0])
    assert record.settings.splits == "metabin" and frozen.settings.splits is None
    # both fill the same paper cells (the papers used MetaBIN's splits), as two tagged rows
    from harness.reported.cells import run_identity

    mine, theirs = run_identity(record), run_identity(frozen)
    assert mine.settings == theirs.settings and (mine.protocol, mine.leg) == (theirs.protocol, theirs.leg)
    assert (mine.model_tag, theirs.model_tag) == ("splits-metabin", "")
    data = record.data["viper"]
    assert data.split_source == f"MetaBIN split folders {world / 'viper'}/split_1a..split_3a"
    assert data.trials == 3
    assert any(n.startswith("3 trial(s) from the user's published splits") for n in record.notes)
    assert (record.counts.n_query, record.counts.n_gallery) == (
        len(list((folders[0] / "query").iterdir())),
        len(list((folders[0] / "gallery").iterdir())),
    )
    # the folders hold the world's first three trials (same pixels): the same numbers
    for name, value in record.metrics.items():
        mean = np.mean([t[name] for t in frozen.trial_metrics[:3]])
        assert value == pytest.approx(mean), name


def test_trials_are_the_folders_files(tiny_world: Path, tmp_path: Path) -> None:
    world = _world(tiny_world, tmp_path)
    folders = write_viper_split_folders(world, 2)
    sets = _eval_sets(world)
    assert len(sets) == 2  # the folders there, not the protocol's 10
    for es, folder in zip(sets, folders, strict=True):
        assert sorted(it.path for it in es.query) == _files(folder / "query")
        assert sorted(it.path for it in es.gallery) == _files(folder / "gallery")
        assert set(es.query.camids.tolist()) == {0} and set(es.gallery.camids.tolist()) == {1}
        assert sorted(es.query.pids.tolist()) == sorted(es.gallery.pids.tolist())
    assert len(_eval_sets(world, trials=1)) == 1  # never more than the protocol asks for


def test_a_copy_with_only_the_split_folders_is_read(tiny_world: Path, tmp_path: Path) -> None:
    world = _world(tiny_world, tmp_path)
    write_viper_split_folders(world, 1)
    n_ids = len(list((world / "viper" / "VIPeR" / "cam_a").iterdir()))
    shutil.rmtree(world / "viper" / "VIPeR")
    read = get_reader("viper").read(world, strict=True)  # counts from split_1a match the marker's
    assert read.found.layout.variant == "metabin"
    assert len(read.manifest.select("cam_a")) == len(read.manifest.select("cam_b")) == n_ids
    [es] = _eval_sets(world)
    assert es.source.endswith("viper/split_1a")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda v: shutil.rmtree(v / "split_2a"), r"split_2a: missing, but .*split_3a is there"),
        (lambda v: shutil.rmtree(v / "split_1a"), r"viper/split_1a: missing, but .*split_2a is there"),
        (lambda v: shutil.rmtree(v / "split_1a" / "gallery"), r"split_1a/gallery: missing; MetaBIN's"),
        (
            lambda v: next((v / "split_3a" / "query").iterdir()).rename(v / "split_3a" / "query" / "x.png"),
            r"split_3a/query/x\.png: expected a MetaBIN VIPeR file name p\{pid\}_c\{1\|2\}_d\{angle\}\.png",
        ),
        (
            lambda v: next((v / "split_1a" / "query").iterdir()).unlink(),
            r"split_1a: id \d+ has no image in query/",
        ),
        (
            lambda v: shutil.copy(
                next((v / "split_2a" / "gallery").iterdir()), v / "split_2a" / "query" / "p999_c2_d90.png"
            ),
            r"p999_c2_d90\.png: camera c2 in query; an 'a' split is camera 1 -> camera 2",
        ),
    ],
)
def test_bad_split_folders_are_one_line_errors(tiny_world: Path, tmp_path: Path, damage, message) -> None:
    world = _world(tiny_world, tmp_path)
    write_viper_split_folders(world, 3)
    damage(world / "viper")
    with pytest.raises(DataError, match=message) as info:
        _eval_sets(world)
    assert "\n" not in str(info.value)


def test_data_check_validates_the_split_folders(tiny_world: Path, tmp_path: Path, cli) -> None:
    world = _world(tiny_world, tmp_path)
    write_viper_split_folders(world, 3)
    args = ["data", "check", "--data-root", str(world), "--dataset", "viper"]
    ok = cli.invoke(app, args)
    assert ok.exit_code == 0 and "3 trials ok" in ok.output and "problem" not in ok.output, ok.output
    assert "two layouts" not in ok.output and "metabin" not in ok.output  # beside cam_a/cam_b: trials only
    shutil.rmtree(world / "viper" / "split_2a" / "train")
    broken = cli.invoke(app, args)  # a problem line (data check exits 1 only for a missing dataset)
    assert "split_2a/train: missing; MetaBIN's split folders hold train/, query/" in broken.output
