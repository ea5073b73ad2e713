"""Small file-system helpers shared by the readers; every failure is a :class:`DataError` naming the path.

Conventions: image folders are listed in sorted file-name order (so manifests are deterministic);
only entries with an image suffix count; an empty folder where a split must be is an error; list
files are read as UTF-8 text with blank lines ignored.

Special entries (docs/failure-modes.md, "Datasets on disk"): a symbolic link to an image file is
followed, wherever the file lives (datasets are often linked in). An entry with an image suffix that
is not a readable regular file (a dangling link, a link loop, a FIFO, a socket, a device, a folder)
is an error naming it: it is never silently dropped, and a FIFO is never opened (that would hang).
A path that a list or caption file names must stay inside the dataset folder (:func:`contained`):
``../`` or an absolute path is refused, naming the file and line. Non-UTF-8 file names are kept as
the file system gives them (surrogate escapes) and shown with ``\\xNN`` escapes.
"""

from __future__ import annotations

import errno
import json
import stat
from collections.abc import Iterable
from pathlib import Path

from harness.data.manifest import Item
from harness.errors import DataError
from harness.safepaths import display

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
    try:
        paths = list(folder.rglob("*") if recursive else folder.iterdir())
    except OSError as exc:
        raise DataError(f"{display(folder)}: cannot list the folder ({exc.strerror or exc})") from exc
    found = sorted(p for p in paths if p.suffix.lower() in wanted and _regular_file(p))
    if not found:
        raise DataError(f"{folder}: empty split, expected image files ({', '.join(sorted(wanted))})")
    return found


def _regular_file(path: Path) -> bool:
    """True for a regular file (or a link to one); False for a folder; an error for anything else."""
    try:
        mode = path.stat().st_mode  # follows links; a dangling link or a loop raises
    except OSError as exc:
        kind = "a dangling symbolic link" if path.is_symlink() else "unreadable"
        if exc.errno == errno.ELOOP:
            kind = "a symbolic link loop"
        raise DataError(
            f"{display(path)}: {kind} where an image belongs ({exc.strerror or exc}); "
            "remove it or point it at an image file"
        ) from exc
    if stat.S_ISREG(mode):
        return True
    if stat.S_ISDIR(mode):
        return False
    kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device file"
    raise DataError(f"{display(path)}: {kind} where an image belongs; remove it (it is never read)")


def contained(base: Path, relative: str, *, where: str) -> Path:
    """``base / relative``, refused with a :class:`DataError` naming ``where`` (``file:line``) when
    ``relative`` is absolute or climbs out of ``base`` with ``..`` (links inside are followed as
    the file system does; only the name is checked)."""
    if not relative or Path(relative).is_absolute() or relative.startswith(("/", "\\")):
        raise DataError(f"{where}: path {relative!r} must be relative to {display(base)}")
    parts = Path(relative.replace("\\", "/")).parts
    depth = 0
    for part in parts:
        depth += -1 if part == ".." else 0 if part == "." else 1
        if depth < 0:
            raise DataError(f"{where}: path {relative!r} leads outside the dataset folder {display(base)}")
    return base / relative


def read_user_text(path: Path, *, what: str) -> str:
    """The UTF-8 text of a dataset's file (list, annotation, marker): a :class:`DataError` naming
    ``path`` when it is missing, not a regular file (a FIFO is never opened: it would hang), or not
    UTF-8."""
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise DataError(f"{display(path)}: cannot read {what} ({exc.strerror or exc})") from exc
    if not stat.S_ISREG(mode):
        raise DataError(f"{display(path)}: {what} is not a regular file")
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DataError(f"{display(path)}: cannot read {what} ({exc})") from exc


def read_user_json(path: Path, *, what: str) -> object:
    """:func:`read_user_text` parsed as JSON (too deeply nested, NaN-free checks are the caller's)."""
    text = read_user_text(path, what=what)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"{display(path)}: cannot read {what} ({exc})") from exc
    except RecursionError as exc:
        raise DataError(f"{display(path)}: cannot read {what} (nested too deeply)") from exc


def read_list_file(path: Path) -> list[tuple[int, str]]:
    """Non-blank lines of a list file as ``(1-based line number, stripped text)``.

    Raises:
        DataError: the file is missing or unreadable.
    """
    if not path.exists() and not path.is_symlink():
        raise DataError(f"{path}: list file is missing")
    text = read_user_text(path, what="list file")
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


def first_existing(base: Path, names: Iterable[str]) -> Path | None:
    """The first of ``base/name`` that exists, or None."""
    for name in names:
        if (base / name).exists():
            return base / name
    return None
