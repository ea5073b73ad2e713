"""Every official TransReID / CLIP-ReID configuration, by its card variant, against the official code.

``data/configs/<method>-<variant>-<cameras>.safetensors``: a checkpoint written by the *official*
model code (TransReID ``make_model`` for each ``configs/<dataset>/vit_*.yml``, at a small geometry,
seeded random weights), a fixed input, 0-based camera ids and the official embeddings
(``data/configs/*.json`` names the source; the recipe is in ``docs/methods.md``). Each goes through
the path a real run takes: the card's variant config -> SIE count from the checkpoint's shapes ->
the family -> read_checkpoint -> strip_prefixes -> load_state_dict_strict -> encode_image.

``data/configs/layouts/*.json``: every key and shape of the official model at *full size* for each
official config (Market-1501: 6 cameras, MSMT17: 15); the card's variant, with the camera count
read from those shapes, must expect exactly those keys after prefix stripping and ``drop_keys``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from harness.checkpoints import load_state_dict_strict, read_checkpoint, strip_prefixes, write_state_dict
from harness.methods import get_card
from harness.methods.sie import resolve_sie, sie_from_shapes
from harness.models import FAMILIES

DATA = Path(__file__).parent / "data" / "configs"
REFERENCES = sorted(p.stem for p in DATA.glob("*.safetensors"))
LAYOUTS = sorted(p.stem for p in (DATA / "layouts").glob("*.json"))
SIE_VARIANTS = {"sie", "transreid", "transreid-stride", "sie-olp"}  # SIE_CAMERA True in the official config


def test_every_official_config_has_a_layout_and_the_new_ones_a_reference() -> None:
    for method in ("transreid", "clip-reid"):
        card = get_card(method)
        assert set(card.official_configs) == set(card.variants)
        covered = {json.loads((DATA / "layouts" / f"{n}.json").read_text())["variant"] for n in LAYOUTS}
        assert set(card.variants) <= covered, f"{method}: a variant has no official layout"
    refs = {
        tuple(json.loads((DATA / f"{n}.json").read_text())[k] for k in ("variant", "cameras"))
        for n in REFERENCES
    }
    assert {("base", None), ("jpm", None), ("sie", 6), ("sie", 15)} <= refs


@torch.no_grad()
@pytest.mark.parametrize("name", REFERENCES)
def test_variant_embeddings_equal_the_official_code(name: str, tmp_path: Path) -> None:
    meta = json.loads((DATA / f"{name}.json").read_text())
    card = get_card(meta["method"])
    tensors = load_file(str(DATA / f"{name}.safetensors"))
    ckpt = {k.removeprefix("ckpt."): v for k, v in tensors.items() if k.startswith("ckpt.")}
    path = write_state_dict(tmp_path / f"{name}.pth", ckpt)
    config = {**card.family_config_for(meta["variant"]), **meta["geometry"]}
    config, sie = resolve_sie(card, config, path)
    assert (sie.cameras if sie else None) == meta["cameras"]
    if sie is not None:
        assert sie.source == "checkpoint"
    model = FAMILIES.get(card.family)(config)
    state = strip_prefixes(read_checkpoint(path), card.strip_prefixes)
    report = load_state_dict_strict(model, state, drop=card.drop_keys, source=path)
    assert report.ok and not report.missing
    camids = tensors["camids"] if model.needs_camids else None
    out = model.encode_image(tensors["images"], camids)
    torch.testing.assert_close(out, tensors["expected.image"], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", LAYOUTS)
def test_full_size_official_layout_equals_the_card_variant(name: str) -> None:
    layout = json.loads((DATA / "layouts" / f"{name}.json").read_text())
    card = get_card(layout["method"])
    shapes = {k: tuple(v) for k, v in layout["keys"].items()}
    config, sie = sie_from_shapes(card, card.family_config_for(layout["variant"]), shapes, source=name)
    if layout["variant"] in SIE_VARIANTS:
        assert sie is not None and sie.cameras == layout["cameras"]
    else:
        assert sie is None
    with torch.device("meta"):
        model = FAMILIES.get(card.family)(config)
    official = strip_prefixes(shapes, card.strip_prefixes)
    kept = {k: s for k, s in official.items() if not any(re.match(p, k) for p in card.drop_keys)}
    assert {k: tuple(v.shape) for k, v in model.state_dict().items()} == kept
