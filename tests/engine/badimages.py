"""Writers of every kind of awkward image file the engine must handle (for the engine tests)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image


def _person(height: int = 64, width: int = 32) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (height, width, 3), dtype=np.uint8)


def huge_png_header(path: Path, width: int = 30000, height: int = 30000) -> None:
    """A valid PNG signature and IHDR claiming ``width x height`` (past Pillow's bomb limit)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )


def write_convertible(folder: Path) -> dict[str, Path]:
    """Images that decode after conversion: name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    rgb = _person()
    paths = {
        "rgb": folder / "rgb.jpg",
        "grayscale": folder / "gray.png",
        "cmyk": folder / "cmyk.jpg",
        "rgba": folder / "rgba.png",
        "palette": folder / "palette.png",
        "sixteen_bit": folder / "sixteen.png",
        "wrong_extension": folder / "png_named.jpg",
        "large": folder / "large.png",
    }
    Image.fromarray(rgb).save(paths["rgb"], quality=95)
    Image.fromarray(rgb).convert("L").save(paths["grayscale"])
    Image.fromarray(rgb).convert("CMYK").save(paths["cmyk"])
    rgba = np.concatenate([rgb, np.full((*rgb.shape[:2], 1), 128, np.uint8)], axis=2)
    Image.fromarray(rgba, mode="RGBA").save(paths["rgba"])
    Image.fromarray(rgb).convert("P").save(paths["palette"])
    gray16 = (np.arange(64 * 32, dtype=np.uint16).reshape(64, 32) * 31).astype(np.uint16)
    Image.fromarray(gray16).save(paths["sixteen_bit"])
    Image.fromarray(rgb).save(paths["wrong_extension"], format="PNG")
    Image.new("RGB", (2400, 4800), (90, 20, 200)).save(paths["large"])
    return paths


def write_undecodable(folder: Path) -> dict[str, Path]:
    """Files that cannot be decoded: name -> path."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {
        "zero_byte": folder / "empty.jpg",
        "truncated": folder / "truncated.jpg",
        "not_an_image": folder / "notes.jpg",
        "huge": folder / "huge.png",
    }
    paths["zero_byte"].write_bytes(b"")
    Image.fromarray(_person(256, 128)).save(folder / "full.jpg", quality=95)
    raw = (folder / "full.jpg").read_bytes()
    paths["truncated"].write_bytes(raw[: len(raw) // 2])
    (folder / "full.jpg").unlink()
    paths["not_an_image"].write_text("this is a text file, not a JPEG\n" * 20)
    huge_png_header(paths["huge"])
    return paths
