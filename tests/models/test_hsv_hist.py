from __future__ import annotations

import colorsys

import pytest
import torch

from harness.errors import ConfigError
from harness.models.hsv_hist import StripeHSVHistogram, build, rgb_to_hsv


def test_rgb_to_hsv_matches_colorsys() -> None:
    generator = torch.Generator().manual_seed(0)
    pixels = torch.rand(1, 3, 4, 5, generator=generator)
    pixels[0, :, 0, 0] = torch.tensor([0.5, 0.5, 0.5])  # grey: hue and saturation 0
    hsv = rgb_to_hsv(pixels)
    for i in range(4):
        for j in range(5):
            expected = colorsys.rgb_to_hsv(*pixels[0, :, i, j].tolist())
            assert hsv[0, :, i, j].tolist() == pytest.approx(expected, abs=1e-6)


def test_uniform_colour_fills_one_bin_per_stripe() -> None:
    model = StripeHSVHistogram(stripes=2, h_bins=4, s_bins=2, v_bins=2, background_margin=0)
    red = torch.zeros(1, 3, 8, 4)
    red[:, 0] = 1.0  # hue 0, saturation 1, value 1 -> bin (0, 1, 1) = 0*4 + 1*2 + 1 = 3
    feature = model.encode_image(red)
    assert feature.shape == (1, 2 * 16)
    expected = torch.zeros(2, 16)
    expected[:, 3] = 1 / 2**0.5  # each stripe's unit histogram, then the whole vector L2-normalised
    assert torch.allclose(feature.view(2, 16), expected, atol=1e-6)


def test_stripes_separate_top_and_bottom() -> None:
    model = StripeHSVHistogram(stripes=2, h_bins=4, s_bins=2, v_bins=2, background_margin=0)
    image = torch.zeros(1, 3, 8, 4)
    image[:, 0, :4] = 1.0  # red top
    image[:, 2, 4:] = 1.0  # blue bottom: hue 2/3 -> h bin 2 -> 2*4 + 3 = 11
    top, bottom = model.encode_image(image).view(2, 16)
    assert top.argmax().item() == 3 and bottom.argmax().item() == 11


def test_build_rejects_unknown_keys() -> None:
    with pytest.raises(ConfigError, match="unknown family_config keys \\['stripe'\\]"):
        build({"stripe": 3})


def test_foreground_mask_ignores_the_row_background() -> None:
    model = StripeHSVHistogram(stripes=1, h_bins=4, s_bins=2, v_bins=2, centre_sigma=10.0)
    image = torch.zeros(1, 3, 8, 16)
    image[:, 1] = 1.0  # green background everywhere
    image[:, :, :, 6:10] = 0.0
    image[:, 0, :, 6:10] = 1.0  # a red person in the middle columns
    feature = model.encode_image(image).view(16)
    assert feature.argmax().item() == 3  # red dominates although most pixels are green
    no_mask = StripeHSVHistogram(
        stripes=1, h_bins=4, s_bins=2, v_bins=2, centre_sigma=10.0, background_margin=0
    )
    assert no_mask.encode_image(image).view(16).argmax().item() != 3
