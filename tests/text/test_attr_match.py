from __future__ import annotations

import pytest
import torch

from harness.errors import ConfigError
from harness.models.attr_match import MASK, PAD, PALETTE, UNK, build


def person(upper: str, lower: str, background: tuple[int, int, int] = (90, 140, 90)) -> torch.Tensor:
    """A 128x64 crop: a flat background with a centred figure, ``upper`` over ``lower``."""
    image = torch.tensor(background, dtype=torch.float32).view(3, 1, 1).expand(3, 128, 64).clone() / 255
    image[:, 18:64, 20:44] = torch.tensor(PALETTE[upper], dtype=torch.float32).view(3, 1, 1) / 255
    image[:, 64:115, 22:42] = torch.tensor(PALETTE[lower], dtype=torch.float32).view(3, 1, 1) / 255
    return image.unsqueeze(0)


@pytest.fixture(scope="module")
def model():
    return build({})


def test_tokenizer_knows_colours_nouns_and_the_mask(model) -> None:
    tokens = model.tokenize(["A Red T-shirt, [MASK] jeans", "nothing known here"])
    assert tokens.shape == (2, 5)
    assert tokens[0, 0].item() == UNK  # "a"
    assert tokens[0, 3].item() == MASK
    assert tokens[1].tolist() == [UNK, UNK, UNK, PAD, PAD]
    assert model.mask_token == "[MASK]" and model.unk_token == "[UNK]"


def test_colour_words_attach_to_the_next_garment(model) -> None:
    row = model.tokenize(
        ["long grey hair, a pink long-sleeve shirt and brown shoes, carrying a green backpack"]
    )
    names = list(PALETTE)
    found = [(region, names[c]) for region, c in model.attributes(row[0].tolist())]
    assert found == [("head", "grey"), ("upper", "pink"), ("feet", "brown"), ("bag", "green")]
    masked = model.tokenize(["a pink [MASK], purple skirt", "a [MASK] shirt"])
    assert [(r, names[c]) for r, c in model.attributes(masked[0].tolist())] == [
        ("unknown", "pink"),
        ("lower", "purple"),
    ]
    assert model.attributes(masked[1].tolist()) == []  # the colour itself is masked


def test_images_and_captions_share_one_space(model) -> None:
    images = torch.cat([person("red", "blue"), person("blue", "red")])
    image_features = model.encode_image(images)
    text_features = model.encode_text(
        model.tokenize(["a red shirt and blue jeans", "a blue shirt and red jeans"])
    )
    assert image_features.shape == text_features.shape == (2, model.dim)
    assert torch.allclose(image_features.norm(dim=1), torch.ones(2))
    similarity = text_features @ image_features.T
    assert similarity[0, 0] > similarity[0, 1] and similarity[1, 1] > similarity[1, 0]
    # losing the colour words loses the evidence: the margin shrinks
    masked = model.encode_text(model.tokenize(["a [MASK] shirt and blue jeans"]))
    full_margin = similarity[0, 0] - similarity[0, 1]
    masked_margin = (masked @ image_features.T)[0, 0] - (masked @ image_features.T)[0, 1]
    assert masked_margin < full_margin


def test_unknown_config_is_refused() -> None:
    with pytest.raises(ConfigError, match="attr-match: unknown family_config keys"):
        build({"bins": 3})
