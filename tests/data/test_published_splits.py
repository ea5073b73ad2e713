"""Published small-target split files in the user's copy (MetaBIN/torchreid PRID, CMDG caption splits)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from harness.data.registry import get_reader
from harness.errors import DataError
from harness.protocols.trials import leg_eval_sets


def _real_layout_prid(tmp_path: Path) -> Path:
    root = tmp_path / "prid2011" / "prid_2011"
    for cam, n in (("cam_a", 385), ("cam_b", 749)):
        (root / "single_shot" / cam).mkdir(parents=True)
        for pid in range(1, n + 1):
            (root / "single_shot" / cam / f"person_{pid:04d}.png").write_bytes(b"")
    return root


def _cmdg_item(path: str, pid: int, camid: int) -> dict:
    parts = Path(path).parts
    return {"id": pid, "camid": camid, "file_path": "/" + "/".join(parts[-3:]), "captions": ["a person"]}


def test_metabin_prid_split_file_supplies_the_trials(tmp_path: Path) -> None:
    root = _real_layout_prid(tmp_path)
    read = get_reader("prid2011").read(tmp_path)
    shipped = leg_eval_sets(read, query="cam_a", gallery="cam_b", splits="prid2011", trials=10)
    assert shipped[0].source.endswith("prid2011.json")
    splits = [{"train": list(range(1 + k, 201, 2)), "test": list(range(2 - k, 201, 2))} for k in (0, 1)]
    (root / "splits_single_shot.json").write_text(json.dumps(splits))
    published = leg_eval_sets(read, query="cam_a", gallery="cam_b", splits="prid2011", trials=10)
    assert len(published) == 2  # the file's splits, not the protocol's 10
    assert published[0].source == str(root / "splits_single_shot.json")
    assert sorted(published[0].query.pids.tolist()) == list(range(2, 201, 2))
    assert (len(published[0].query), len(published[0].gallery)) == (100, 649)  # MetaBIN's gallery rule
    (root / "splits_single_shot.json").write_text(json.dumps([{"train": [1, "x"], "test": [2]}]))
    with pytest.raises(DataError, match=r"single_shot\.json split 0 train: expected a list"):
        leg_eval_sets(read, query="cam_a", gallery="cam_b", splits="prid2011", trials=10)


def test_cmdg_caption_split_is_checked_against_the_rule(tmp_path: Path) -> None:
    root = _real_layout_prid(tmp_path)
    read = get_reader("prid2011").read(tmp_path)
    (root / "splits_single_shot.json").write_text(
        json.dumps([{"train": list(range(1, 101)), "test": list(range(101, 201))}])
    )
    [metabin] = leg_eval_sets(read, query="cam_a", gallery="cam_b", splits="prid2011", trials=10)
    (root / "splits_single_shot.json").unlink()
    split = {
        "train": [
            _cmdg_item(f"{root}/single_shot/{c}/person_{p:04d}.png", p, i)
            for p in range(1, 101)
            for i, c in enumerate(("cam_a", "cam_b"))
        ],
        "query": [_cmdg_item(it.path, it.pid, 0) for it in metabin.query],
        "gallery": [_cmdg_item(it.path, it.pid, 1) for it in metabin.gallery],
    }
    (root / "Qwen-all").mkdir()
    path = root / "Qwen-all" / "Qwen2_prid.json"
    path.write_text(json.dumps([split]))
    [cmdg] = leg_eval_sets(read, query="cam_a", gallery="cam_b", splits="prid2011", trials=10)
    assert cmdg.source == str(path)
    assert [it.path for it in cmdg.query] == [it.path for it in metabin.query]
    assert sorted(it.path for it in cmdg.gallery) == sorted(it.path for it in metabin.gallery)
    split["gallery"] = split["gallery"][:-1]  # one distractor missing: not the harness's rule
    path.write_text(json.dumps([split]))
    with pytest.raises(DataError, match=r"Qwen2_prid\.json split 0: its gallery differs"):
        leg_eval_sets(read, query="cam_a", gallery="cam_b", splits="prid2011", trials=10)


def test_p1_run_on_a_published_split_names_it_in_the_record(tiny_world: Path, tmp_path: Path, cli) -> None:
    """CMDG's one-split iLIDS-style file (fraction picks) reproduces the harness trial it lists."""
    from harness.cli.app import app
    from harness.data.splits import split_set_from_dict
    from harness.protocols.trials import trial_test_set
    from harness.results.io import iter_record_paths, read_record

    world = tmp_path / "world"
    world.mkdir()
    shutil.copy(tiny_world / "harness-synthetic.json", world / "harness-synthetic.json")
    shutil.copytree(tiny_world / "ilids", world / "ilids")
    base = [
        "run",
        "-p",
        "p1",
        "--leg",
        "ilids",
        "-m",
        "hsv-hist",
        "--device",
        "cpu",
        "--no-progress",
        "--no-cache",
    ]
    plain = cli.invoke(app, [*base, "--data-root", str(world), "--out", str(tmp_path / "frozen")])
    assert plain.exit_code == 0, plain.output
    [frozen] = [read_record(p) for p in iter_record_paths(tmp_path / "frozen")]

    read = get_reader("ilids").read(world)
    marker = json.loads((world / "harness-synthetic.json").read_text())
    synthetic = split_set_from_dict(marker["datasets"]["ilids"]["splits"], "marker")
    trial = trial_test_set(read, synthetic, 1)
    train_ids = set(synthetic.trials[1].train_ids)
    split = {
        "train": [_cmdg_item(it.path, it.pid, it.camid) for it in read.manifest if it.pid in train_ids],
        "query": [_cmdg_item(it.path, it.pid, it.camid) for it in trial.query],
        "gallery": [_cmdg_item(it.path, it.pid, it.camid) for it in trial.gallery],
    }
    folder = read.found.root.parent / "Qwen-all"
    folder.mkdir()
    (folder / "Qwen2_ilds.json").write_text(json.dumps([split]))
    result = cli.invoke(app, [*base, "--data-root", str(world), "--out", str(tmp_path / "cmdg")])
    assert result.exit_code == 0, result.output
    [path] = iter_record_paths(tmp_path / "cmdg")
    assert path.name == "ilids+splits-cmdg.json"  # never the frozen run's path
    record = read_record(path)
    assert record.settings.splits == "cmdg"
    assert record.data["ilids"].split_source == str(folder / "Qwen2_ilds.json")
    assert record.data["ilids"].trials == 1
    assert record.metrics == pytest.approx(frozen.trial_metrics[1])
