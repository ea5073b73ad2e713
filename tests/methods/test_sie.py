"""SIE camera counts come from the checkpoint (Market-style 6, MSMT-style 15) for TransReID and
CLIP-ReID; camera ids are the 0-based index; more test cameras than the embedding has is refused in
one line; records name the count. Small copies of the real cards (same variants, small geometry)
are registered through ``$HARNESS_METHOD_PATH`` so the real ``load_method`` / ``harness run`` run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from harness.errors import CheckpointError, ConfigError
from harness.methods import get_card, load_method
from harness.methods.adapter import MethodAdapter, WeightsInfo
from harness.models import FAMILIES

SMALL = {
    "transreid": {
        "input_size": [32, 16],
        "patch_size": 8,
        "stride_size": 8,
        "embed_dim": 16,
        "depth": 3,
        "heads": 2,
    },
    "clip-reid": {
        "input_size": [32, 16],
        "patch_size": 8,
        "stride_size": 8,
        "width": 16,
        "layers": 2,
        "heads": 2,
        "output_dim": 8,
    },
}
SIE_VARIANT = {"transreid": "sie", "clip-reid": "sie-olp"}
PREFIX = {"transreid": "base.", "clip-reid": "image_encoder."}  # the official checkpoints' prefixes


@pytest.fixture()
def tiny_cards(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry) -> Path:
    """``tiny-transreid`` and ``tiny-clip-reid``: the real cards with a small geometry."""
    from harness.methods import METHODS

    folder = tmp_path / "cards"
    for real in SMALL:
        card = get_card(real).model_dump(exclude={"source_dir"}, mode="json")
        card.update(name=f"tiny-{real}", aliases=[], input_size=[32, 16])
        card["family_config"] = {**card["family_config"], **SMALL[real]}
        card["variants"] = {
            v: {**o, "stride_size": 6} if o.get("stride_size") == 12 else o
            for v, o in card["variants"].items()
        }
        (folder / card["name"]).mkdir(parents=True)
        (folder / card["name"] / "method.yaml").write_text(yaml.safe_dump(card))
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(folder))
    reset_registry(METHODS)
    return folder


def official_checkpoint(method: str, cameras: int, path: Path) -> Path:
    """A checkpoint in the official layout (prefixes, a training-only head) with ``cameras`` SIE rows."""
    from harness.checkpoints import write_state_dict

    card = get_card(f"tiny-{method}")
    config = {**card.family_config_for(SIE_VARIANT[method]), "sie_cameras": cameras}
    torch.manual_seed(cameras)
    model = FAMILIES.get(card.family)(config)
    state = {}
    for key, value in model.state_dict().items():
        top_level = method == "clip-reid" and key == "cv_embed"  # build_transformer.cv_embed
        state[key if top_level else PREFIX[method] + key] = value
    state["classifier.weight"] = torch.zeros(5, 4)
    return write_state_dict(path, state)


@pytest.mark.usefixtures("tiny_cards")
@pytest.mark.parametrize("method", sorted(SMALL))
@pytest.mark.parametrize("cameras", [6, 15])
def test_camera_count_comes_from_the_checkpoint(method: str, cameras: int, tmp_path: Path) -> None:
    path = official_checkpoint(method, cameras, tmp_path / "ckpt.pth")
    m = load_method(f"tiny-{method}", path, variant=SIE_VARIANT[method], device="cpu")
    assert m.sie is not None and (m.sie.cameras, m.sie.source) == (cameras, "checkpoint")
    assert m.model.sie_cameras == cameras
    images = torch.randn(2, 3, 32, 16)
    out = m.encode_image(images, torch.tensor([0, cameras - 1]))  # 0-based: the last camera is N-1
    assert out.shape[0] == 2
    # the engine's network-less identity probe reports the same count (read from the shapes only)
    probe = MethodAdapter(
        m.card,
        None,
        variant=SIE_VARIANT[method],
        weights=WeightsInfo(kind="checkpoint", path=str(path)),
        device=torch.device("cpu"),
    )
    assert probe.sie == m.sie
    with pytest.raises(ConfigError) as err:
        m.encode_image(images, torch.tensor([0, cameras]))
    message = str(err.value)
    assert "\n" not in message and f"camera ids up to {cameras}" in message
    assert f"{cameras} cameras from the checkpoint" in message


@pytest.mark.usefixtures("tiny_cards")
def test_embedding_depends_on_the_camera_as_indexed() -> None:
    m = load_method("tiny-transreid", variant="sie", device="cpu", random_init=True)
    x = torch.randn(1, 3, 32, 16).repeat(2, 1, 1, 1)
    a = m.encode_image(x, torch.tensor([0, 3]))
    assert not torch.allclose(a[0], a[1])
    # sie_embed[camid] * sie_coe added to every token: reproduce camera 3 by hand on camera 0's path
    with torch.no_grad():
        m.model.sie_embed[0] = m.model.sie_embed[3]
    b = m.encode_image(x[:1], torch.tensor([0]))
    torch.testing.assert_close(b[0], a[1])


@pytest.mark.usefixtures("tiny_cards")
@pytest.mark.parametrize("method", sorted(SMALL))
def test_random_init_uses_the_card_count_and_names_it(method: str) -> None:
    m = load_method(f"tiny-{method}", variant=SIE_VARIANT[method], device="cpu", random_init=True)
    assert (m.sie.cameras, m.sie.source) == (15, "card")
    assert m.identity()["sie_cameras"] == 15
    assert "random init" in m.sie.describe()


@pytest.mark.usefixtures("tiny_cards")
@pytest.mark.parametrize("method", sorted(SMALL))
def test_sie_checkpoint_with_a_variant_without_sie_says_which_variant(method: str, tmp_path: Path) -> None:
    path = official_checkpoint(method, 6, tmp_path / "ckpt.pth")
    with pytest.raises(
        CheckpointError, match=rf"has a camera embedding .*--variant: .*{SIE_VARIANT[method]}"
    ):
        load_method(f"tiny-{method}", path, device="cpu")


def test_variant_aliases_resolve_to_the_official_config_names() -> None:
    transreid, clipreid = get_card("transreid"), get_card("clip-reid")
    assert transreid.resolve_variant("baseline") == "base" and transreid.resolve_variant(None) == "base"
    assert clipreid.resolve_variant("vit-b16") == "clipreid" and clipreid.resolve_variant(None) == "clipreid"
    assert transreid.family_config_for("baseline") == transreid.family_config_for("base")
    assert set(transreid.variants) == {"base", "jpm", "sie", "transreid", "transreid-stride"}
    assert set(clipreid.variants) == {"clipreid", "baseline", "sie-olp"}
    with pytest.raises(ConfigError, match=r"no variant 'vit_jpm'.*jpm.*baseline \(= base\)"):
        transreid.resolve_variant("vit_jpm")


@pytest.mark.usefixtures("tiny_cards")
def test_adapter_records_the_canonical_variant() -> None:
    m = load_method("tiny-clip-reid", variant="vit-b16", device="cpu", random_init=True)
    assert m.variant == "clipreid" and m.sie is None


@pytest.mark.usefixtures("tiny_cards")
def test_run_record_names_the_camera_count_and_convention(cli, tiny_world: Path, tmp_path: Path) -> None:
    from harness.cli.app import app

    args = ["run", "-p", "single", "-m", "tiny-transreid", "--leg", "market1501", "--variant", "sie"]
    args += ["--data-root", str(tiny_world), "--out", str(tmp_path / "o"), "--random-init", "--no-progress"]
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    (record_path,) = (tmp_path / "o").rglob("*.json")
    record = json.loads(record_path.read_text())
    assert record["conventions"]["sie_cameras"]["cameras"] == 15
    assert record["conventions"]["sie_cameras"]["source"] == "card"
    assert record["conventions"]["evaluation_convention"]["name"] == "method"
    assert record["conventions"]["evaluation_convention"]["distance"] == "sqeuclidean"
