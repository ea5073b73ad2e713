"""Small file-system helpers shared by the readers; every failure is a :class:`DataError` naming the path.

Conventions: image folders are listed in sorted file-name order (so manifests are deterministic);
only files with an image suffix count; an empty folder where a split must be is an error; list
files are read as UTF-8 text with blank lines ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.data.manifest import Item
from harness.errors import DataError

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})


def image_files(
    folder: Path, *, suffixes: Iterable[str] = IMAGE_SUFFIXES, recursive: bool = False
) -> list[Path]:
    """The image files in ``folder`` in sorted order.

    Raises:
        DataError: the folder does not exist, is not a folder, or holds no image file.
    """
    if not folder.is_dir():
        raise DataError(
            f"{folder}: expected a folder of images, found {'a file' if folder.exists() else 'nothing'}"
        )
    wanted = {s.lower() for s in suffixes}
    paths = folder.rglob("*") if recursive else folder.iterdir()
    found = sorted(p for p in paths if p.suffix.lower() in wanted and p.is_file())
    if not found:
        raise DataError(f"{folder}: empty split, expected image files ({', '.join(sorted(wanted))})")
    return found


def read_list_file(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines of a list file as ``(1-based line number, stripped text)``.

    Raises:
        DataError: the file is missing or unreadable.
    """
    if not path.is_file():
        raise DataError(f"{path}: list file is missing")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{path}: cannot read list file ({exc})") from exc
    return [(n, line.strip()) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def check_unique(items: Iterable[Item], where: Path) -> None:
    """Raise if two items share a path (a list naming a file twice, or two splits sharing a file)."""
    seen: dict[str, str] = {}
    for item in items:
        if item.path in seen:
            raise DataError(
                f"{where}: duplicate path {item.path} (in split '{seen[item.path]}' and again in "
                f"'{item.split}'); every image may appear once"
            )
        seen[item.path] = item.split


def check_camera(camid_1based: int, num_cams: int, path: Path) -> int:
    """The 0-based camid; raises if the 1-based camera is outside ``1..num_cams``."""
    if not 1 <= camid_1based <= num_cams:
        raise DataError(f"{path}: camera {camid_1based} is out of range 1..{num_cams}")
    return camid_1based - 1
