"""``preprocess(pil_image)`` returns exactly what each method's official test transform returns.

Each recipe below is written out from the official source text (the repositories and commits of
``docs/methods.md``) as the torchvision pipeline the official code builds, applied to the image as
the official loader reads it (``Image.open(path).convert('RGB')``; CMDG/CLIP-FGDI's ``read_image``
repeats grey to three channels, which is the same). ``encode_image`` takes that tensor as is: no
network adds its own input normalisation.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torchvision import transforms as T
from torchvision.transforms import InterpolationMode

from harness.methods import get_card
from harness.methods.adapter import MethodAdapter, WeightsInfo

HALF = ([0.5] * 3, [0.5] * 3)
CLIP = ([0.48145466, 0.4578275, 0.40821073], [0.26862954, 0.26130258, 0.27577711])
IMAGENET = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
BILINEAR, BICUBIC = InterpolationMode.BILINEAR, InterpolationMode.BICUBIC
INSTANCE = "instance"

# method: (SIZE_TEST, interpolation, normalisation, where the official code builds it)
OFFICIAL = {
    "clip-reid": (
        (256, 128),
        BILINEAR,
        HALF,
        "CLIP-ReID@eb1898b datasets/make_dataloader_clipreid.py val_transforms",
    ),
    "transreid": ((256, 128), BILINEAR, HALF, "TransReID@dec5504 datasets/make_dataloader.py val_transforms"),
    "cmdg": (
        (224, 224),
        BICUBIC,
        INSTANCE,
        "CMDG-ReID@9357a51 datasets/trans/build_trans.py (is_train=False)",
    ),
    "clip-fgdi": (
        (224, 224),
        BICUBIC,
        INSTANCE,
        "CLIP-FGDI@1ad50a6 datasets/trans/build_trans.py (is_train=False)",
    ),
    "pat": ((256, 128), BICUBIC, HALF, "Part-Aware-Transformer@104d42e data/transforms/build.py"),
    "solider": (
        (384, 128),
        BILINEAR,
        HALF,
        "SOLIDER-REID@8c08e1c datasets/make_dataloader.py + swin_base.yml",
    ),
    "dmf": (
        (256, 128),
        BILINEAR,
        HALF,
        "DMF@0c406cf datasets/make_dataloader.py + configs/FineGPR/vit_base.yml",
    ),
    "irra": ((384, 128), BILINEAR, CLIP, "IRRA@cfc2378 datasets/build.py:build_transforms(is_train=False)"),
    "dgcmia": ((384, 128), BILINEAR, CLIP, "DGCMIA@ba45c61 datasets/build.py (IRRA's)"),
    "cmmt": (
        (384, 128),
        BICUBIC,
        IMAGENET,
        "WS_Text-ReID@1fa770e datasets/pedes.py Resize + test.py Normalize",
    ),
    # no official code: the card's stated assumptions (see their assumptions:)
    "clip": ((224, 224), BICUBIC, CLIP, "harness choice: whole crop to 224x224 (card assumption)"),
    "retext": ((256, 128), BILINEAR, HALF, "assumed (no code)"),
    "dtta": ((384, 128), BILINEAR, HALF, "assumed from SOLIDER-REID (no code)"),
}


def official_transform(method: str) -> T.Compose:
    size, interpolation, norm, _ = OFFICIAL[method]
    last = nn.InstanceNorm2d(3, affine=False) if norm == INSTANCE else T.Normalize(*norm)
    return T.Compose([T.Resize(size, interpolation=interpolation), T.ToTensor(), last])


def images() -> dict[str, Image.Image]:
    """Different sizes and aspect ratios, RGB, grey (L), RGBA and palette sources."""
    rng = np.random.default_rng(0)
    rgb = Image.fromarray(rng.integers(0, 256, (170, 61, 3), dtype=np.uint8), "RGB")
    wide = Image.fromarray(rng.integers(0, 256, (40, 150, 3), dtype=np.uint8), "RGB")
    grey = Image.fromarray(rng.integers(0, 256, (97, 33), dtype=np.uint8), "L")
    rgba = Image.fromarray(rng.integers(0, 256, (300, 100, 4), dtype=np.uint8), "RGBA")
    exact = Image.fromarray(rng.integers(0, 256, (256, 128, 3), dtype=np.uint8), "RGB")
    return {
        "rgb": rgb,
        "wide": wide,
        "grey": grey,
        "rgba": rgba,
        "exact-256x128": exact,
        "palette": rgb.quantize(16),
    }


def adapter(method: str) -> MethodAdapter:
    """The adapter without a network: preprocess needs only the card."""
    return MethodAdapter(
        get_card(method),
        None,
        variant=None,
        weights=WeightsInfo(kind="random-init"),
        device=torch.device("cpu"),
    )


@pytest.mark.parametrize("method", sorted(OFFICIAL))
def test_card_states_the_official_transform(method: str) -> None:
    card = get_card(method)
    size, interpolation, norm, _ = OFFICIAL[method]
    assert card.input_size == size and card.interpolation == interpolation.value
    if norm == INSTANCE:
        assert card.normalization == "instance" and card.mean is None and card.std is None
    else:
        assert card.normalization == "mean-std"
        assert list(card.mean) == norm[0] and list(card.std) == norm[1]


@pytest.mark.parametrize("method", sorted(OFFICIAL))
def test_preprocess_equals_the_official_transform(method: str) -> None:
    transform, ours = official_transform(method), adapter(method)
    for name, image in images().items():
        expected = transform(image.convert("RGB"))
        got = ours.preprocess(image)
        assert got.dtype == torch.float32 and got.shape == expected.shape, name
        assert torch.equal(got, expected), f"{method} / {name}: max |diff| {(got - expected).abs().max()}"


def test_instance_norm_is_preprocess_only_and_changes_the_cache_identity() -> None:
    """CMDG/CLIP-FGDI: the network takes the instance-normalised tensor and adds no normalisation of
    its own, so feeding preprocess's output to encode_image normalises exactly once."""
    from harness.models import FAMILIES
    from tests.models._small import SMALL

    card = get_card("cmdg")
    small = card.model_copy(update={"input_size": (32, 16)})
    model = FAMILIES.get(card.family)({**card.family_config, **SMALL["clip-vit"]}).eval()
    m = MethodAdapter(
        small, model, variant=None, weights=WeightsInfo(kind="random-init"), device=torch.device("cpu")
    )
    assert not hasattr(m.model, "input_norm")
    x = torch.stack([m.preprocess(image) for image in images().values()])
    scaled = m.encode_image(3.0 * x + 1.0)  # a network that re-normalised would not see the change
    assert not torch.allclose(scaled, m.encode_image(x))
    assert m.identity()["preprocess"]["normalization"] == "instance"
    assert (
        m.identity()["adapter_version"] == "2"
    )  # embeddings of version 1 (norm in the network) are not reused


def test_removed_family_input_norm_is_refused() -> None:
    from harness.errors import ConfigError
    from harness.models import FAMILIES

    config = {**get_card("cmdg").family_config, "input_norm": "instance"}
    with pytest.raises(ConfigError, match=r"input_norm.*normalization: instance"):
        FAMILIES.get("clip-vit")(config)
