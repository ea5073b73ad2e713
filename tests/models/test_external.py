"""Bring your own model: cards whose family is ``package.module:callable`` (harness.models.external)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml

from harness.cli.app import app
from harness.errors import ConfigError, RegistryError
from harness.methods import METHODS, load_method
from harness.models.external import resolve_family
from harness.results import read_record

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "docs" / "examples" / "byo"


def _card(folder: Path, name: str, family: str, **extra) -> Path:
    fields = {
        "name": name,
        "title": f"{name} (test)",
        "family": family,
        "input_size": [32, 16],
        "mean": [0.5, 0.5, 0.5],
        "std": [0.25, 0.25, 0.25],
        "test_feature": "pooled",
        **extra,
    }
    (folder / name).mkdir(parents=True)
    (folder / name / "method.yaml").write_text(yaml.safe_dump(fields))
    return folder


@pytest.fixture()
def byo_cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry) -> Path:
    folder = tmp_path / "cards"
    _card(folder, "small-byo", "tests.models.byo_nets:build", family_config={"width": 8})
    _card(folder, "encoder-byo", "tests.models.byo_nets:build_encoder")
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(folder))
    reset_registry(METHODS)
    return folder


@pytest.mark.parametrize(
    ("family", "message"),
    [
        ("no_such_pkg.models:build", "cannot import module 'no_such_pkg.models' (ModuleNotFoundError"),
        ("tests.models.byo_nets:missing", "module 'tests.models.byo_nets' has no attribute 'missing'"),
        ("tests.models.byo_nets:NOT_CALLABLE", "tests.models.byo_nets.NOT_CALLABLE is not callable"),
        (":build", "must be of the form 'package.module:callable'"),
    ],
)
def test_resolution_errors_name_module_and_attribute(family: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        resolve_family(family)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_unknown_builtin_family_points_to_own_builders() -> None:
    with pytest.raises(RegistryError, match=r"unknown architecture family 'timm'.*package\.module:callable"):
        resolve_family("timm")


def test_builder_contract_is_checked() -> None:
    with pytest.raises(ConfigError, match=r"returned object, expected a torch\.nn\.Module"):
        resolve_family("tests.models.byo_nets:build_not_a_module")({})
    flat = resolve_family("tests.models.byo_nets:build_bad_shape")({})
    with pytest.raises(ConfigError, match=r"returned \(2, 8, 4\) for 2 images; expected \[B, D\]"):
        flat.encode_image(torch.zeros(2, 3, 8, 4))
    small = resolve_family("tests.models.byo_nets:build")({"width": 4}).eval()
    assert small.encode_image(torch.zeros(2, 3, 8, 4)).shape == (2, 4)
    with pytest.raises(ConfigError, match="takes no camera ids"):
        small.encode_image(torch.zeros(2, 3, 8, 4), torch.zeros(2, dtype=torch.long))
    assert set(small.state_dict()) == {
        "conv.weight",
        "conv.bias",
        *(f"norm.{k}" for k in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")),
    }


def test_own_encode_image_is_preferred(byo_cards: Path) -> None:
    method = load_method("encoder-byo", random_init=True, device="cpu")
    features = method.encode_image(torch.rand(3, 3, 32, 16))
    assert features.shape == (3, 16)  # encode_image, not forward's [B, 3]


def test_checkpoint_loads_strictly_and_mismatch_is_reported(byo_cards: Path, tmp_path: Path) -> None:
    reference = resolve_family("tests.models.byo_nets:build")({"width": 8})
    path = tmp_path / "small.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in reference.state_dict().items()}}, path)
    method = load_method("small-byo", path, device="cpu")
    assert method.weights.kind == "checkpoint"
    assert method.weights.load_report["loaded"] == len(reference.state_dict())
    images = torch.rand(2, 3, 32, 16)
    torch.testing.assert_close(method.encode_image(images), reference.eval().encode_image(images))
    torch.save({"conv.weight": torch.zeros(8, 3, 3, 3)}, tmp_path / "partial.pth")
    with pytest.raises(Exception, match="missing"):
        load_method("small-byo", tmp_path / "partial.pth", device="cpu")


def test_list_and_show_validate_the_family_up_front(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry
) -> None:
    folder = _card(tmp_path / "bad", "timm-plain", "timm")
    _card(folder, "missing-module", "yourpkg.nets:build")
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(folder))
    reset_registry(METHODS)
    result = cli.invoke(app, ["list", "methods"])
    assert result.exit_code == 2
    assert "hsv-hist" in result.output  # the list is still printed
    assert "method 'timm-plain'" in result.output and "unknown architecture family 'timm'" in result.output
    assert "cannot import module 'yourpkg.nets'" in result.output and "Traceback" not in result.output
    result = cli.invoke(app, ["show", "method", "missing-module"])
    assert result.exit_code == 2 and "cannot import module 'yourpkg.nets'" in result.output
    assert str(folder / "missing-module" / "method.yaml") in result.output.replace("\n", "")


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args], env=env, capture_output=True, text=True, timeout=900
    )


@pytest.mark.slow
def test_docs_example_timm_bnneck_runs_through_harness_run(tiny_world: Path, tmp_path: Path) -> None:
    """The worked example of docs/methods.md, unchanged but for a smaller input: random init, then
    a checkpoint saved with a DataParallel prefix, then a re-run served from the embedding cache."""
    cards = tmp_path / "methods"
    shutil.copytree(EXAMPLE / "methods", cards)
    card_file = cards / "timm-bnneck" / "method.yaml"
    card = yaml.safe_load(card_file.read_text())
    assert card["family"] == "timm_bnneck:build"
    card["input_size"] = [64, 32]  # 16x fewer pixels than 256x128: the same code path, CI-sized
    card_file.write_text(yaml.safe_dump(card))
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(REPO), str(EXAMPLE)]),
        "HARNESS_METHOD_PATH": str(cards),
        "HARNESS_CACHE": str(tmp_path / "cache"),
        "OMP_NUM_THREADS": "1",
    }
    common = [
        "run",
        "-p",
        "single",
        "-m",
        "timm-bnneck",
        "--leg",
        "market1501",
        "--data-root",
        str(tiny_world),
    ]
    smoke = _run([*common, "--out", str(tmp_path / "smoke"), "--random-init", "--device", "cpu"], env)
    assert smoke.returncode == 0, smoke.stderr
    [path] = (tmp_path / "smoke" / "timm-bnneck" / "single").glob("market1501*.json")
    record = read_record(path)
    assert record.method.weights == "random-init" and not record.reportable
    assert record.counts.n_query > 0 and 0.0 <= record.metrics["mAP"] <= 1.0

    sys.path.insert(0, str(EXAMPLE))
    try:
        from timm_bnneck import build
    finally:
        sys.path.remove(str(EXAMPLE))
    torch.manual_seed(1)
    model = build(card["family_config"])
    checkpoint = tmp_path / "resnet50_bnneck.pth"
    torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, checkpoint)
    args = [*common, "--out", str(tmp_path / "real"), "--weights-dir", str(tmp_path), "--device", "cpu"]
    first = _run([*args, "--format", "json"], env)
    assert first.returncode == 0, first.stderr
    line = json.loads(first.stdout.splitlines()[0])
    record = read_record(Path(line["path"]))
    assert record.method.weights == "checkpoint" and record.method.checkpoint_path == str(
        checkpoint.resolve()
    )
    assert record.method.load_report["loaded"] == len(model.state_dict())
    assert record.engine.encode["gallery"]["cache"] != "hit"
    again = _run([*args, "--format", "json"], env)
    assert again.returncode == 0, again.stderr
    rerun = read_record(Path(json.loads(again.stdout.splitlines()[0])["path"]))
    assert rerun.engine.encode["gallery"]["cache"] == "hit" and rerun.metrics == record.metrics
