from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
import torch
from PIL import Image

from harness.errors import CheckpointError, ConfigError
from harness.methods import METHODS, get_card, load_method
from harness.methods.card import load_card
from harness.methods.registry import ENTRY_POINT_GROUP
from harness.weights import resolve_weights

CARD = """
name: {name}
title: test card
family: hsv-hist
family_config: {{stripes: 2}}
variants:
  fine: {{stripes: 4}}
input_size: [16, 8]
test_feature: histograms
weights_free: {weights_free}
checkpoints:
  default: {{file: model.pth, url: "https://example.org/model.pth"}}
  legB: {{file: b.pth}}
"""


def write_card(folder: Path, name: str, weights_free: str = "false") -> Path:
    (folder / name).mkdir(parents=True, exist_ok=True)
    path = folder / name / "method.yaml"
    path.write_text(CARD.format(name=name, weights_free=weights_free))
    return path


@pytest.fixture()
def fresh_methods(reset_registry):
    reset_registry(METHODS)
    return METHODS


def test_hsv_hist_preprocess_and_encode(tiny_world: Path) -> None:
    method = load_method("hsv", device="cpu")
    assert method.weights.kind == "weights-free" and method.weights.reportable
    image = Image.new("RGB", (30, 50), (255, 0, 0))
    tensor = method.preprocess(image.convert("L"))  # grayscale input is converted to RGB
    assert tensor.shape == (3, 128, 64) and tensor.dtype == torch.float32
    features = method.encode_image(torch.stack([tensor, tensor]))
    assert features.shape == (2, 432)
    assert torch.allclose(features.norm(dim=1), torch.ones(2))


def test_card_validation_names_file_and_field(tmp_path: Path) -> None:
    path = write_card(tmp_path, "x")
    path.write_text(path.read_text() + "colour: blue\n")
    with pytest.raises(ConfigError) as info:
        load_card(path)
    assert str(path) in str(info.value) and "colour" in str(info.value)


def test_variants(tmp_path: Path) -> None:
    card = load_card(write_card(tmp_path, "x"))
    assert card.family_config_for(None) == {"stripes": 2}
    assert card.family_config_for("fine") == {"stripes": 4}
    with pytest.raises(ConfigError, match="has no variant 'coarse'; variants: fine"):
        card.family_config_for("coarse")


def test_missing_weights_name_the_expected_file(tmp_path: Path, monkeypatch, fresh_methods) -> None:
    write_card(tmp_path, "needs-weights")
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(tmp_path))
    with pytest.raises(
        CheckpointError, match=r"expected file: model.pth, from https://example.org/model.pth"
    ):
        load_method("needs-weights", device="cpu")
    smoke = load_method("needs-weights", device="cpu", random_init=True)
    assert smoke.weights.kind == "random-init" and not smoke.weights.reportable


def test_resolve_weights_lists_every_leg(tmp_path: Path) -> None:
    card = load_card(write_card(tmp_path, "x"))
    with pytest.raises(CheckpointError) as info:
        resolve_weights(card, ["legA", "legB"])
    message = str(info.value)
    assert "leg legA: model.pth (from https://example.org/model.pth)" in message
    assert "leg legB: b.pth" in message
    (tmp_path / "b.pth").write_bytes(b"x")
    (tmp_path / "model.pth").write_bytes(b"x")
    resolved = resolve_weights(card, ["legA", "legB"], weights_dir=tmp_path)
    assert resolved == {"legA": tmp_path / "model.pth", "legB": tmp_path / "b.pth"}
    assert resolve_weights(card, ["legA"], weights=[str(tmp_path / "b.pth")]) == {"legA": tmp_path / "b.pth"}
    with pytest.raises(ConfigError, match="has no LEG= prefix"):
        resolve_weights(card, ["legA", "legB"], weights=[str(tmp_path / "b.pth")])
    with pytest.raises(ConfigError, match="names leg 'legC', which is not run"):
        resolve_weights(card, ["legA"], weights=[f"legC={tmp_path / 'b.pth'}"])
    with pytest.raises(CheckpointError, match="does not exist"):
        resolve_weights(card, ["legA"], weights=[f"legA={tmp_path / 'nope.pth'}"])
    assert resolve_weights(card, ["legA"], random_init=True) == {"legA": None}


def test_device_cuda_without_cuda_is_a_clear_error() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    with pytest.raises(ConfigError, match="no CUDA device"):
        load_method("hsv-hist", device="cuda")
    with pytest.raises(ConfigError, match="'cpu' or 'cuda"):
        load_method("hsv-hist", device="tpu")


def test_folder_name_must_equal_card_name(tmp_path: Path, monkeypatch, fresh_methods) -> None:
    path = write_card(tmp_path, "x")
    path.write_text(path.read_text().replace("name: x", "name: y"))
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="folder name must equal name 'y'"):
        METHODS.names()


def test_third_party_entry_point_registers_methods(tmp_path: Path, monkeypatch, fresh_methods) -> None:
    """A real installed-distribution entry point (a dist-info folder on sys.path)."""
    cards = tmp_path / "cards"
    write_card(cards, "plugin-method", weights_free="true")
    package = tmp_path / "site"
    (package / "plugin_pkg").mkdir(parents=True)
    (package / "plugin_pkg" / "__init__.py").write_text(
        f"from pathlib import Path\n\ndef methods_dir():\n    return Path({str(cards)!r})\n"
    )
    dist = package / "plugin_pkg-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: plugin-pkg\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text(
        textwrap.dedent(f"""
        [{ENTRY_POINT_GROUP}]
        plugin = plugin_pkg:methods_dir
        """)
    )
    monkeypatch.syspath_prepend(str(package))
    assert "plugin-method" in METHODS.names() and "hsv-hist" in METHODS.names()
    assert get_card("plugin-method").weights_free
    sys.modules.pop("plugin_pkg", None)
