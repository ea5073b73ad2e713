from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from harness.errors import ConfigError
from harness.text.masking import (
    mask_caption,
    mask_captions,
    masked_fraction,
    n_masked,
    token_for,
    word_spans,
)

CAPTION = "The pedestrian has long grey hair, wears a pink long-sleeve shirt, purple skirt and brown shoes."


def test_words_keep_inner_hyphens_and_skip_punctuation() -> None:
    words = [CAPTION[a:b] for a, b in word_spans(CAPTION)]
    assert len(words) == 16
    assert "long-sleeve" in words and "hair" in words and "," not in words


@pytest.mark.parametrize(
    ("n", "ratio", "expected"),
    [
        (16, 0.1, 2),
        (15, 0.1, 2),
        (14, 0.1, 1),
        (5, 0.1, 1),
        (3, 0.5, 2),
        (25, 0.3, 8),
        (10, 0.0, 0),
        (4, 0.1, 0),
    ],
)
def test_rounding_is_half_up(n: int, ratio: float, expected: int) -> None:
    assert n_masked(n, ratio) == expected


def test_masks_the_stated_number_of_words() -> None:
    for ratio in (0.1, 0.2, 0.3, 0.4, 0.5):
        masked = mask_caption(CAPTION, ratio, seed=0, repeat=0, index=0)
        assert masked.n_masked == n_masked(16, ratio)
        assert masked.text.count("[MASK]") == masked.n_masked
        # unmasked words are kept in place, the rest of the text too
        assert len(word_spans(masked.text.replace("[MASK]", "M"))) == 16


def test_deterministic_per_seed_and_independent_of_anything_else() -> None:
    a = mask_caption(CAPTION, 0.3, seed=7, repeat=1, index=4).text
    assert a == mask_caption(CAPTION, 0.3, seed=7, repeat=1, index=4).text
    others = {
        mask_caption(CAPTION, 0.3, seed=8, repeat=1, index=4).text,
        mask_caption(CAPTION, 0.3, seed=7, repeat=2, index=4).text,
        mask_caption(CAPTION, 0.3, seed=7, repeat=1, index=5).text,
    }
    assert a not in others  # another seed, repeat or caption index draws other words


def test_masks_are_nested_across_ratios() -> None:
    def masked_positions(text: str) -> set[int]:
        spans = word_spans(text.replace("[MASK]", "MASKTOKEN"))
        return {
            i for i, (s, e) in enumerate(spans) if text.replace("[MASK]", "MASKTOKEN")[s:e] == "MASKTOKEN"
        }

    previous: set[int] = set()
    for ratio in (0.1, 0.2, 0.3, 0.4, 0.5):
        positions = masked_positions(mask_caption(CAPTION, ratio, seed=3, repeat=0, index=0).text)
        assert previous <= positions
        previous = positions


def test_ratio_zero_is_the_identical_string() -> None:
    captions = [CAPTION, "a man.", ""]
    assert mask_captions(captions, 0.0, seed=0, repeat=0) == captions


def test_strategies() -> None:
    unk = mask_caption(CAPTION, 0.5, seed=0, repeat=0, index=0, strategy="unk", token="<unk>")
    assert unk.text.count("<unk>") == 8
    deleted = mask_caption(CAPTION, 0.5, seed=0, repeat=0, index=0, strategy="delete")
    assert len(word_spans(deleted.text)) == 8
    assert "  " not in deleted.text and not deleted.text.startswith(" ")
    with pytest.raises(ConfigError, match="mask strategy must be one of mask, unk, delete"):
        mask_caption(CAPTION, 0.1, seed=0, repeat=0, index=0, strategy="blank")


def test_token_for_prefers_the_model_token() -> None:
    class WithTokens:
        mask_token = "<|mask|>"

    assert token_for(WithTokens(), "mask") == ("<|mask|>", "model")
    assert token_for(WithTokens(), "unk") == ("[UNK]", "default")
    assert token_for(object(), "mask") == ("[MASK]", "default")
    assert token_for(object(), "delete") == ("", "delete")


@given(
    words=st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=6), min_size=1, max_size=40),
    ratio=st.sampled_from([0.1, 0.2, 0.3, 0.4, 0.5]),
    seed=st.integers(0, 2**31),
)
def test_masked_fraction_matches_the_rule(words: list[str], ratio: float, seed: int) -> None:
    caption = " ".join(words) + "."
    masked = mask_captions([caption], ratio, seed=seed, repeat=0)
    expected = n_masked(len(words), ratio) / len(words)
    assert masked_fraction([caption], masked, "[MASK]") == pytest.approx(expected)
    assert abs(expected - ratio) <= 0.5 / len(words) + 1e-12
