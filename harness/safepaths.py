"""One place that turns names into file names and keeps writers inside their folder.

Conventions (every writer follows them; see docs/failure-modes.md, "Paths and names"):

* A name that becomes one path component (a method, protocol, leg, dataset or table name in a
  record path, a leaderboard page, a report file) must pass :func:`safe_component`: not empty,
  not ``.``/``..``, no leading dot, no path separator, no NUL or control character, at most
  :data:`MAX_COMPONENT_BYTES` bytes of UTF-8 and valid Unicode. Refused, never silently altered.
* :func:`slug` maps *any* string to a component that passes (for display-derived file names where
  refusing is not an option); different inputs give different slugs (a hash is appended when
  characters had to be replaced).
* :func:`inside` resolves a path (following symlinks) and refuses it unless it lies under its
  root: a writer never follows a link out of its own folder.
* :func:`refuse_overlap` refuses an output folder that holds (or is held by) a command's inputs.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable
from pathlib import Path

from harness.errors import UnsafePathError

MAX_COMPONENT_BYTES = 200
_SLUG_KEEP = re.compile(r"[^A-Za-z0-9._+-]+")
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}
)


def component_problem(name: object) -> str | None:
    """Why ``name`` cannot be one path component, or None when it can."""
    if not isinstance(name, str):
        return f"expected a string, found {type(name).__name__}"
    if not name:
        return "it is empty"
    if name in (".", ".."):
        return "it is a relative folder reference"
    if "/" in name or "\\" in name:
        return "it contains a path separator"
    if name.startswith("."):
        return "it starts with a dot (hidden and temporary files start with one)"
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in name):
        return "it contains a control character or an undecodable byte"
    if name != name.strip():
        return "it starts or ends with white space"
    if len(name.encode("utf-8")) > MAX_COMPONENT_BYTES:
        return f"it is longer than {MAX_COMPONENT_BYTES} bytes"
    if name.split(".")[0].lower() in _WINDOWS_RESERVED:
        return "it is a reserved device name on Windows"
    return None


def safe_component(name: object, *, what: str) -> str:
    """``name`` unchanged when it can be one path component; else :class:`UnsafePathError`.

    ``what`` names the field in the message, e.g. ``"protocol name in out/x.json"``.
    """
    problem = component_problem(name)
    if problem is not None:
        raise UnsafePathError(f"{what} {name!r} cannot be used as a file name: {problem}")
    return name  # type: ignore[return-value]


def slug(name: str) -> str:
    """A file-name component for any string: itself when already safe and plain, else a readable
    ASCII form plus an 8-hex-digit hash of the original (so two names never share a slug)."""
    plain = _SLUG_KEEP.sub("-", unicodedata.normalize("NFKD", name)).strip("-.") or "x"
    if plain == name and component_problem(name) is None:
        return name
    if plain.split(".")[0].lower() in _WINDOWS_RESERVED:
        plain = f"x-{plain}"
    digest = hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{plain[:80]}-{digest}"


def inside(root: Path | str, path: Path | str, *, what: str = "path") -> Path:
    """``path`` resolved (symlinks followed); :class:`UnsafePathError` unless it lies under ``root``."""
    base = Path(root).resolve()
    resolved = Path(path).resolve()
    if resolved != base and not resolved.is_relative_to(base):
        raise UnsafePathError(f"{what} {path} leads outside {base} (to {resolved}); refusing to touch it")
    return resolved


def is_link_out_of(root: Path | str, path: Path | str) -> bool:
    """True when ``path`` is a symlink (or under one) whose target lies outside ``root``."""
    try:
        inside(root, path)
    except UnsafePathError:
        return True
    return False


def refuse_overlap(out: Path | str, inputs: Iterable[Path | str], *, option: str = "--out") -> None:
    """Refuse an output folder that is one of the inputs, holds one, or lies inside one."""
    target = Path(out).resolve()
    for source in inputs:
        src = Path(source).resolve()
        if target == src or src.is_relative_to(target) or target.is_relative_to(src):
            raise UnsafePathError(
                f"{option} {out} overlaps the input {source}: writing there could overwrite or "
                f"mix with what the command reads; choose a separate folder"
            )


def display(path: Path | str) -> str:
    """A path as text that is always printable: undecodable bytes shown as ``\\xNN`` escapes."""
    text = os.fspath(path)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    return text
