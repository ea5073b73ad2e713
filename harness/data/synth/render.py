"""Procedural drawing of a pedestrian crop under a camera style (Pillow + NumPy only)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from harness.data.synth.world import (
    COLOURS,
    HAIR_COLOURS,
    SHORT_SLEEVES,
    CameraStyle,
    Identity,
)


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(max(0, min(255, c * factor))) for c in colour)  # type: ignore[return-value]


def render_person(
    person: Identity, camera: CameraStyle, rng: np.random.Generator, *, size: tuple[int, int] = (128, 64)
) -> tuple[Image.Image, str]:
    """Draw ``person`` seen by ``camera``; returns the RGB image (``size`` = H, W) and the view."""
    height, width = size
    view = ("front", "back", "left", "right")[int(rng.integers(4))]
    canvas = Image.new("RGB", (width, height), camera.background)
    draw = ImageDraw.Draw(canvas)
    # background: floor and a random band (a wall, a bench, a car)
    horizon = int(height * rng.uniform(0.6, 0.8))
    draw.rectangle([0, horizon, width, height], fill=camera.floor)
    band_y = int(rng.integers(0, horizon))
    band_colour = _shade(camera.background, float(rng.uniform(0.6, 1.4)))
    draw.rectangle([0, band_y, width, band_y + int(rng.integers(3, 12))], fill=band_colour)

    # figure geometry with per-image scale / position jitter
    body_h = height * person.height * rng.uniform(0.9, 1.0)
    top = (height - body_h) * rng.uniform(0.2, 0.8)
    cx = width / 2 + rng.uniform(-4, 4)
    side = view in ("left", "right")
    half_w = width * 0.2 * person.width * camera.aspect * (0.75 if side else 1.0)

    def y(f: float) -> float:
        return top + f * body_h

    skin, hair = person.skin, HAIR_COLOURS[person.hair_colour]
    upper, lower = COLOURS[person.upper_colour], COLOURS[person.lower_colour]
    head_r = body_h * 0.065
    # legs / lower garment
    leg_w = half_w * 0.45
    if person.lower_type == "skirt":
        draw.polygon(
            [
                (cx - half_w * 0.8, y(0.47)),
                (cx + half_w * 0.8, y(0.47)),
                (cx + half_w * 1.1, y(0.68)),
                (cx - half_w * 1.1, y(0.68)),
            ],
            fill=lower,
        )
        for sx in (-1, 1):
            draw.rectangle(
                [cx + sx * leg_w - leg_w * 0.45, y(0.68), cx + sx * leg_w + leg_w * 0.45, y(0.95)], fill=skin
            )
    else:
        bottom = 0.7 if person.lower_type == "shorts" else 0.95
        for sx in (-1, 1):
            x0 = cx + sx * leg_w - leg_w * 0.5
            draw.rectangle([x0, y(0.47), x0 + leg_w, y(bottom)], fill=lower)
            if bottom < 0.95:
                draw.rectangle([x0 + 1, y(bottom), x0 + leg_w - 1, y(0.95)], fill=skin)
    # shoes
    shoe = COLOURS[person.shoes]
    for sx in (-1, 1):
        draw.rectangle(
            [cx + sx * leg_w - leg_w * 0.6, y(0.95), cx + sx * leg_w + leg_w * 0.6, y(1.0)], fill=shoe
        )
    # torso and arms
    torso_bottom = 0.62 if person.upper_type == "coat" else 0.5
    draw.rectangle([cx - half_w, y(0.16), cx + half_w, y(torso_bottom)], fill=upper)
    arm_w = half_w * 0.35
    sleeve_end = 0.3 if person.upper_type in SHORT_SLEEVES else 0.5
    for sx in (-1, 1) if not side else (1 if view == "right" else -1,):
        ax = cx + sx * (half_w + arm_w * 0.5) if not side else cx + sx * half_w * 0.2
        draw.rectangle([ax - arm_w / 2, y(0.17), ax + arm_w / 2, y(sleeve_end)], fill=_shade(upper, 0.9))
        draw.rectangle([ax - arm_w / 2, y(sleeve_end), ax + arm_w / 2, y(0.5)], fill=skin)
    if person.upper_type == "jacket" and view == "front":
        draw.line([cx, y(0.17), cx, y(torso_bottom)], fill=_shade(upper, 0.5), width=1)
    # bag
    if person.bag != "none":
        bag = COLOURS[person.bag_colour]
        if person.bag == "backpack" and view != "front":
            bx = cx if view == "back" else cx + (-1 if view == "right" else 1) * half_w * 0.9
            draw.rectangle([bx - half_w * 0.7, y(0.19), bx + half_w * 0.7, y(0.42)], fill=bag)
        elif person.bag == "handbag":
            draw.rectangle([cx + half_w * 1.1, y(0.45), cx + half_w * 1.7, y(0.56)], fill=bag)
        elif person.bag == "shoulder bag":
            draw.line([cx - half_w, y(0.17), cx + half_w, y(0.4)], fill=bag, width=2)
            draw.rectangle([cx + half_w * 0.6, y(0.38), cx + half_w * 1.3, y(0.48)], fill=bag)
    # head, hair, hat
    hy = y(0.085)
    draw.ellipse([cx - head_r, hy - head_r, cx + head_r, hy + head_r], fill=skin if view != "back" else hair)
    draw.chord([cx - head_r, hy - head_r, cx + head_r, hy + head_r * 0.3], 180, 360, fill=hair)
    if person.hair_long:
        draw.rectangle([cx - head_r, hy, cx + head_r, y(0.22)], fill=hair)
        if view == "front":
            draw.ellipse([cx - head_r * 0.7, hy - head_r * 0.5, cx + head_r * 0.7, hy + head_r], fill=skin)
    if person.hat != "none":
        hat = COLOURS[person.hat_colour]
        brim = 1.6 if person.hat == "hat" else 1.2
        draw.rectangle(
            [cx - head_r * brim, hy - head_r * 0.55, cx + head_r * brim, hy - head_r * 0.25], fill=hat
        )
        draw.chord([cx - head_r, hy - head_r * 1.2, cx + head_r, hy], 180, 360, fill=hat)

    # camera: blur, colour cast and illumination, sensor noise
    if camera.blur > 0.05:
        canvas = canvas.filter(ImageFilter.GaussianBlur(camera.blur))
    pixels = np.asarray(canvas, dtype=np.float32)
    pixels = pixels * np.asarray(camera.cast, dtype=np.float32) * camera.brightness * rng.uniform(0.9, 1.1)
    pixels += rng.normal(0.0, camera.noise, size=pixels.shape).astype(np.float32)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "RGB"), view
