"""The test-set time of the cost block: extrapolated from throughput, or measured item by item."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.methods import load_method
from harness.profiling.profile import ProfileSettings, profile_method

SMALL = {"input_size": (32, 16), "batch_size": 8, "iters": 1, "warmup": 1}


def test_extrapolated_is_items_over_throughput(tiny_text_cards) -> None:
    attr = load_method("attr-match", device="cpu")
    cost = profile_method(attr, ProfileSettings(test_images=20, test_texts=30, **SMALL))
    test = cost["test_set"]
    expected = 20 / cost["throughput_image"]["items_per_s"] + 30 / cost["throughput_text"]["items_per_s"]
    assert test["how"] == "extrapolated" and (test["images"], test["texts"]) == (20, 30)
    assert test["compute_s"] == pytest.approx(expected)
    assert test["batch_size"] == 8 and test["iters"] == cost["throughput_image"]["iters"]
    assert cost["device_name"] == "cpu"


def test_measured_encodes_every_item_and_the_split_adds_up(tiny_text_cards) -> None:
    clip = load_method("tiny-clip", device="cpu", random_init=True)
    calls: list[int] = []
    encode_image = clip.encode_image
    clip.encode_image = lambda images, camids=None: calls.append(len(images)) or encode_image(images, camids)
    cost = profile_method(clip, ProfileSettings(test_images=20, test_texts=30, measure_all=True, **SMALL))
    test = cost["test_set"]
    assert test["how"] == "measured" and (test["images"], test["texts"]) == (20, 30)
    assert test["images_s"] > 0 and test["texts_s"] > 0
    assert test["compute_s"] == pytest.approx(test["images_s"] + test["texts_s"])
    # after the profiler's own calls: one warm-up batch, then every image once in batches of 8
    assert calls[-4:] == [8, 8, 8, 4]


def test_no_test_set_without_a_size_and_text_needs_a_text_tower(tiny_text_cards) -> None:
    image_only = load_method("hsv-hist", device="cpu")
    assert "test_set" not in profile_method(image_only, ProfileSettings(**SMALL))
    derived = profile_method(image_only, ProfileSettings(test_images=5, test_texts=5, **SMALL))
    assert derived["test_set"]["compute_s"] is None  # texts cannot be timed: no number, not a wrong one
    with pytest.raises(ConfigError, match="no text encoder; give --test-texts 0"):
        profile_method(image_only, ProfileSettings(test_images=5, test_texts=5, measure_all=True, **SMALL))
