"""Every file ``harness data synth`` writes goes through :func:`put`, which never overwrites a file
the generator did not write and never follows a link out of the chosen root.

Rules (docs/failure-modes.md, "Writers touch only what they made"):

* the root must be a folder (or not exist yet) that can be written;
* a non-empty root without the synthetic-world marker (or the partial marker an interrupted
  synthesis leaves) is refused (it may hold real data), unless ``force``; then files are added
  beside what is there;
* a file that already exists is left alone when it holds exactly the bytes the generator would
  write (a rerun of the same seed and scale), and refused otherwise, naming it; nothing is
  replaced;
* a path that resolves outside the root (a symlinked folder) is refused.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextvars import ContextVar
from pathlib import Path

from harness.atomic import write_bytes_atomic
from harness.errors import ConfigError
from harness.safepaths import inside

_ROOT: ContextVar[Path | None] = ContextVar("synth_root", default=None)
PARTIAL_MARKER = "harness-synthetic.partial"
"""Written before the first file of a new world and removed after the marker: an interrupted
``data synth`` leaves it, so the same command run again may finish the world."""


def check_root(root: Path, *, marker_name: str, force: bool) -> None:
    """Refuse a root that is a file, lies under a file, cannot be written, or holds foreign files."""
    if root.exists() and not root.is_dir():
        raise ConfigError(f"--root {root} is a file, expected a folder for the synthetic world")
    parent = root
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise ConfigError(f"--root {root} cannot be created: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ConfigError(f"--root {root} cannot be written ({parent} is read-only or not yours)")
    ours = (root / marker_name).is_file() or (root / PARTIAL_MARKER).is_file()
    if root.is_dir() and not ours and not force:
        entries = sorted(p.name for p in root.iterdir())
        if entries:
            shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
            raise ConfigError(
                f"--root {root} is not empty ({shown}) and is not a synthetic world made by "
                f"`harness data synth` (no {marker_name}): it may hold real data, so nothing was "
                "written; choose an empty or new folder (or pass --force to add the synthetic "
                "world beside what is there; no existing file is ever overwritten)"
            )


@contextlib.contextmanager
def writing_under(root: Path) -> Iterator[None]:
    """Within this block, :func:`put` writes only under ``root``."""
    token = _ROOT.set(root.resolve())
    try:
        yield
    finally:
        _ROOT.reset(token)


def put(path: Path, data: bytes) -> None:
    """Write ``data`` at ``path`` atomically, unless the same bytes are already there; refuse to
    replace anything else or to write outside the root set by :func:`writing_under`."""
    root = _ROOT.get()
    if root is not None:
        inside(root, path, what="synthetic-world file")
    if path.is_symlink() or (path.exists() and not path.is_file()):
        raise ConfigError(f"{path} exists and is not a regular file; `harness data synth` never replaces it")
    if path.is_file():
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
        raise ConfigError(
            f"{path} already exists and was not written by `harness data synth` with this seed and "
            "scale (its content differs); it was left untouched and the world is incomplete; "
            "use an empty folder"
        )
    write_bytes_atomic(path, data)


def put_text(path: Path, text: str) -> None:
    """:func:`put` for UTF-8 text."""
    put(path, text.encode("utf-8"))
