"""``harness.evaluate``: an in-memory model through the same pipeline as ``harness run``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

import harness
from harness.cli.app import app
from harness.errors import ConfigError
from harness.methods import METHODS
from harness.results import read_record
from tests.models.byo_nets import SmallNet, WithEncoder

PREPROCESS = {"input_size": (32, 16), "mean": (0.5, 0.5, 0.5), "std": (0.25, 0.25, 0.25)}


def _model(seed: int = 0, kind: type[SmallNet] = SmallNet) -> SmallNet:
    torch.manual_seed(seed)
    model = kind(width=8)
    with torch.no_grad():  # non-trivial BatchNorm statistics, as a trained model has
        model.norm.running_mean.uniform_(-0.1, 0.1)
        model.norm.running_var.uniform_(0.5, 2.0)
    return model


def test_evaluate_writes_the_same_record_as_harness_run_of_a_card(
    cli, tiny_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry
) -> None:
    model = _model()
    outcomes = harness.evaluate(
        model,
        protocol="single",
        leg="market1501",
        preprocess=PREPROCESS,
        name="small-net",
        data_root=tiny_world,
        out_dir=tmp_path / "api",
        device="cpu",
    )
    [outcome] = outcomes
    record = outcome.record
    assert outcome.path.parent == tmp_path / "api" / "small-net" / "single"
    assert outcome.path.name.startswith("market1501")  # + the weights' identity slug
    assert read_record(outcome.path).metrics == record.metrics
    assert record.method.weights == "checkpoint" and record.reportable is not False
    assert record.method.checkpoint_sha256 and record.counts.n_query > 0
    assert record.engine.encode["gallery"]["cache"] != "hit"

    # the same network from a card naming its builder, through `harness run` with a checkpoint
    cards = tmp_path / "cards" / "small-card"
    cards.mkdir(parents=True)
    card = {
        "name": "small-card",
        "title": "SmallNet from a card",
        "family": "tests.models.byo_nets:build",
        "family_config": {"width": 8},
        "input_size": list(PREPROCESS["input_size"]),
        "mean": list(PREPROCESS["mean"]),
        "std": list(PREPROCESS["std"]),
        "test_feature": "forward",
    }
    (cards / "method.yaml").write_text(yaml.safe_dump(card))
    checkpoint = tmp_path / "small.pth"
    torch.save(model.state_dict(), checkpoint)
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(cards.parent))
    reset_registry(METHODS)
    args = ["run", "-p", "single", "-m", "small-card", "--leg", "market1501", "--data-root", str(tiny_world)]
    result = cli.invoke(
        app, [*args, "--out", str(tmp_path / "cli"), "--weights", str(checkpoint), "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    [via_cli_path] = (tmp_path / "cli" / "small-card" / "single").glob("market1501*.json")
    via_cli = read_record(via_cli_path)
    assert via_cli.metrics == record.metrics and via_cli.cmc == record.cmc
    assert via_cli.counts == record.counts

    def conventions(r):  # the same scoring conventions; only the card they were read from is named
        return json.loads(json.dumps(r.conventions).replace("small-card", "small-net"))

    assert conventions(via_cli) == conventions(record)


def test_evaluate_reuses_the_cache_and_keys_it_by_weights(tiny_world: Path, tmp_path: Path) -> None:
    common = {"protocol": "single", "leg": ["market1501"], "data_root": tiny_world, "device": "cpu"}
    first = harness.evaluate(_model(1), preprocess=PREPROCESS, name="net", out_dir=tmp_path / "a", **common)
    again = harness.evaluate(_model(1), preprocess=PREPROCESS, name="net", out_dir=tmp_path / "b", **common)
    other = harness.evaluate(_model(2), preprocess=PREPROCESS, name="net", out_dir=tmp_path / "c", **common)
    assert again[0].record.engine.encode["gallery"]["cache"] == "hit"
    assert again[0].record.metrics == first[0].record.metrics
    assert other[0].record.engine.encode["gallery"]["cache"] != "hit"
    assert other[0].record.method.checkpoint_sha256 != first[0].record.method.checkpoint_sha256


def test_evaluate_uses_encode_image_and_borrows_a_cards_preprocessing(
    tiny_world: Path, tmp_path: Path
) -> None:
    model = _model(kind=WithEncoder)
    [outcome] = harness.evaluate(
        model,
        protocol="single",
        leg="market1501",
        preprocess="hsv-hist",
        name="enc",
        data_root=tiny_world,
        out_dir=tmp_path,
        device="cpu",
        batch_size=7,
    )
    assert outcome.record.method.test_feature == "encode_image"
    assert outcome.record.counts.n_valid_query > 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"preprocess": {"size": (32, 16)}}, "unknown keys ['size']"),
        ({"preprocess": {"mean": (0, 0, 0)}}, "preprocess needs input_size"),
        ({"preprocess": PREPROCESS, "name": "hsv-hist"}, "'hsv-hist' is a registered method"),
        ({"preprocess": PREPROCESS, "name": "a/b"}, "use letters, digits"),
        ({"preprocess": PREPROCESS, "leg": "duke"}, "has no leg 'duke'"),
        ({"preprocess": PREPROCESS, "batchsize": 3}, "unknown options ['batchsize']"),
    ],
)
def test_evaluate_errors_are_one_line(tiny_world: Path, tmp_path: Path, kwargs: dict, message: str) -> None:
    kwargs = {"name": "err-net", "leg": "market1501", **kwargs}
    with pytest.raises(Exception) as info:
        harness.evaluate(_model(), protocol="single", data_root=tiny_world, out_dir=tmp_path, **kwargs)
    assert message in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(ConfigError, match=r"needs a torch\.nn\.Module"):
        harness.evaluate(object(), protocol="single", preprocess=PREPROCESS)  # type: ignore[arg-type]
