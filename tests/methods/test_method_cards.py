"""Every built-in method card validates, and its family builds and embeds at the documented width."""

from __future__ import annotations

import pytest
import torch

from harness.methods import get_card, load_method
from harness.models import FAMILIES
from tests.models._small import SMALL

# Documented test-time embedding width of each method at full size (and variant, if any).
DOCUMENTED = {
    ("clip-reid", None): 1280,
    ("clip-reid", "sie-olp"): 1280,
    ("clip-reid", "baseline"): 1280,
    ("clip-reid", "vit-b16"): 1280,  # alias of clipreid
    ("cmdg", None): 1280,
    ("clip-fgdi", None): 1280,
    ("transreid", None): 768,
    ("transreid", "transreid-stride"): 3840,
    ("transreid", "jpm"): 3840,
    ("transreid", "sie"): 768,
    ("transreid", "transreid"): 3840,
    ("transreid", "baseline"): 768,  # alias of base
    ("pat", None): 768,
    ("dmf", None): 768,
    ("solider", None): 1024,
    ("solider", "swin-tiny"): 768,
    ("dtta", None): 1024,
    ("retext", None): 768,
    ("irra", None): 512,
    ("dgcmia", None): 512,
    ("cmmt", None): 512,
    ("clip", None): 512,
}
METHODS = sorted({m for m, _ in DOCUMENTED})


@pytest.mark.parametrize("name", METHODS)
def test_card_is_complete(name: str) -> None:
    card = get_card(name)
    assert card.family in FAMILIES
    assert card.input_size == tuple(card.family_config["input_size"])
    assert card.test_feature and card.verification
    assert card.checkpoints, "every method names its checkpoint(s), released or not"
    if card.code_url is None:
        assert card.assumptions, "methods without public code state their assumptions"
    for variant in card.variants:
        card.family_config_for(variant)


@torch.no_grad()
@pytest.mark.parametrize(("name", "variant"), sorted(DOCUMENTED, key=str))
def test_small_config_embeds_through_the_card(name: str, variant: str | None) -> None:
    """The card's own config with the family's small sizes: same code path, documented layout."""
    card = get_card(name)
    config = {**card.family_config_for(variant), **SMALL[card.family]}
    for key in (
        "layer_norms",
        "input_norm",
        "sie_cameras",
        "stride_size",
        "jpm",
        "test_feature",
        "precision",
    ):
        if key in card.family_config_for(variant):
            config[key] = card.family_config_for(variant)[key]
    if config.get("jpm"):
        config["depth"] = 3
    model = FAMILIES.get(card.family)(config).eval()
    h, w = config["input_size"]
    camids = torch.tensor([0, 1]) if model.needs_camids else None
    out = model.encode_image(torch.randn(2, 3, h, w), camids)
    assert out.shape == (2, model.feature_dim)
    assert torch.isfinite(out.float()).all()


# One method per family at full size (the rest share these code paths and are checked small).
FULL_SIZE = [
    ("clip-reid", "sie-olp"),
    ("irra", None),
    ("transreid", "transreid-stride"),
    ("pat", None),
    ("dmf", None),
    ("solider", "swin-tiny"),
    ("cmmt", None),
]


@pytest.mark.slow
@torch.no_grad()
@pytest.mark.parametrize(("name", "variant"), FULL_SIZE)
def test_full_size_random_init_embedding(name: str, variant: str | None) -> None:
    method = load_method(name, variant=variant, device="cpu", random_init=True)
    assert not method.weights.reportable
    h, w = method.input_size
    camids = torch.tensor([0]) if method.model.needs_camids else None
    out = method.encode_image(torch.randn(1, 3, h, w), camids)
    assert out.shape == (1, DOCUMENTED[(name, variant)]) == (1, method.model.feature_dim)
