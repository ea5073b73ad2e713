"""The synthetic person world: identities with clothing attributes, cameras with styles.

Everything is drawn from ``numpy.random.default_rng`` seeded by ``(seed, dataset, pid, ...)`` through
:func:`rng_for`, so one identity or image never depends on how many others were generated, and the
same seed gives byte-identical files.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (200, 35, 45),
    "blue": (35, 70, 195),
    "green": (45, 150, 65),
    "yellow": (230, 205, 45),
    "black": (28, 28, 30),
    "white": (236, 236, 232),
    "grey": (128, 128, 132),
    "purple": (120, 55, 150),
    "orange": (240, 130, 35),
    "pink": (238, 150, 190),
    "brown": (120, 78, 42),
    "navy": (22, 32, 85),
}
UPPER_TYPES = ("short-sleeve shirt", "t-shirt", "long-sleeve shirt", "jacket", "sweater", "coat")
SHORT_SLEEVES = frozenset({"short-sleeve shirt", "t-shirt"})
LOWER_TYPES = ("trousers", "jeans", "shorts", "skirt")
HAIR_COLOURS: dict[str, tuple[int, int, int]] = {
    "black": (25, 20, 18),
    "brown": (95, 60, 30),
    "blonde": (215, 185, 110),
    "grey": (165, 165, 165),
}
SHOE_COLOURS = ("black", "white", "brown", "red")
BAGS = ("none", "none", "backpack", "handbag", "shoulder bag")
HATS = ("none", "none", "none", "cap", "hat")
SKIN_TONES = ((241, 194, 160), (224, 172, 125), (198, 134, 86), (141, 85, 56), (95, 60, 40))
VIEWS = ("front", "back", "left", "right")


def rng_for(*keys: int | str) -> np.random.Generator:
    """A generator seeded by a stable hash of ``keys`` (strings hashed with CRC32, not ``hash()``)."""
    return np.random.default_rng([zlib.crc32(str(k).encode()) for k in keys])


@dataclass(frozen=True)
class Identity:
    """One person's stable appearance."""

    pid: int
    height: float
    width: float
    skin: tuple[int, int, int]
    hair_colour: str
    hair_long: bool
    upper_colour: str
    upper_type: str
    lower_colour: str
    lower_type: str
    shoes: str
    bag: str
    bag_colour: str
    hat: str
    hat_colour: str


@dataclass(frozen=True)
class CameraStyle:
    """How one camera renders everyone: illumination, colour cast, blur, noise, background."""

    camid: int
    brightness: float
    cast: tuple[float, float, float]
    blur: float
    noise: float
    background: tuple[int, int, int]
    floor: tuple[int, int, int]
    aspect: float


def sample_identity(seed: int, dataset: str, pid: int) -> Identity:
    rng = rng_for(seed, dataset, "identity", pid)
    colours = list(COLOURS)

    def pick(options):
        return options[int(rng.integers(len(options)))]

    upper_colour = pick(colours)
    lower_colour = pick([c for c in colours if c != upper_colour])
    return Identity(
        pid=pid,
        height=float(rng.uniform(0.82, 0.97)),
        width=float(rng.uniform(0.8, 1.2)),
        skin=SKIN_TONES[int(rng.integers(len(SKIN_TONES)))],
        hair_colour=pick(list(HAIR_COLOURS)),
        hair_long=bool(rng.random() < 0.4),
        upper_colour=upper_colour,
        upper_type=pick(UPPER_TYPES),
        lower_colour=lower_colour,
        lower_type=pick(LOWER_TYPES),
        shoes=pick(SHOE_COLOURS),
        bag=pick(BAGS),
        bag_colour=pick(colours),
        hat=pick(HATS),
        hat_colour=pick(colours),
    )


def sample_camera(seed: int, dataset: str, camid: int) -> CameraStyle:
    rng = rng_for(seed, dataset, "camera", camid)
    base = rng.integers(60, 200, size=3)
    return CameraStyle(
        camid=camid,
        brightness=float(rng.uniform(0.75, 1.25)),
        cast=tuple(float(x) for x in rng.uniform(0.85, 1.15, size=3)),  # type: ignore[arg-type]
        blur=float(rng.uniform(0.0, 0.9)),
        noise=float(rng.uniform(1.0, 7.0)),
        background=tuple(int(x) for x in base),  # type: ignore[arg-type]
        floor=tuple(int(x) for x in np.clip(base * 0.6, 0, 255)),  # type: ignore[arg-type]
        aspect=float(rng.uniform(0.92, 1.08)),
    )
