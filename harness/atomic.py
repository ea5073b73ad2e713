"""Atomic file writes, used by every writer in the harness (results, cache, reports, manifests).

A temporary file in the target's folder is written, fsynced, given the permissions a plain
``open()`` would (``0o666`` less the umask; ``mkstemp`` alone makes ``0o600``), then moved onto
the target with ``os.replace``. A reader sees either the old file or the complete new one, never a
partial write. An interrupted writer (SIGKILL) may leave ``.<name>.<random>.tmp`` behind, which no
reader opens and ``harness cache prune`` removes.

A write that fails because the disk is full, the file system is read-only or permission is denied
(``ENOSPC``, ``EDQUOT``, ``EROFS``, ``EACCES``, ``EPERM``; also when a library such as safetensors
wraps the OS error in its own exception) raises :class:`~harness.errors.WriteError`: one line naming
the file and the reason, followed by what was kept and how to resume. The CLI sets that last part
per command with :func:`on_write_failure` (``harness run``: finished cache chunks are kept, rerun
to resume). The target is never left half-written and the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import errno as _errno
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from harness.errors import WriteError

TMP_SUFFIX = ".tmp"
WRITE_ERRNOS = frozenset(
    {_errno.ENOSPC, _errno.EDQUOT, _errno.EROFS, _errno.EACCES, _errno.EPERM, _errno.EFBIG}
)
DEFAULT_KEPT = "no file was half-written (an existing file keeps its old content)"
DEFAULT_RESUME = "free some space or choose a writable folder, then run the command again"
_NOTE: ContextVar[tuple[str, str]] = ContextVar("write_failure_note", default=(DEFAULT_KEPT, DEFAULT_RESUME))
# Rust libraries (safetensors) report an OS error as text: 'IoError(Os { code: 28, kind: ... })'
_WRAPPED_OS_ERROR = re.compile(r"Os \{ code: (\d+)")


@contextlib.contextmanager
def on_write_failure(kept: str, resume: str) -> Iterator[None]:
    """While active, a :class:`WriteError` says ``kept`` (what survives) and ``resume`` (what to do)."""
    token = _NOTE.set((kept, resume))
    try:
        yield
    finally:
        _NOTE.reset(token)


def write_failure(path: Path | str, exc: BaseException) -> WriteError | None:
    """The :class:`WriteError` for ``exc`` raised while writing ``path``, or None if it is not a
    disk-full / read-only / permission failure (then the caller re-raises ``exc``)."""
    code = getattr(exc, "errno", None) if isinstance(exc, OSError) else None
    if code is None:
        match = _WRAPPED_OS_ERROR.search(str(exc))
        code = int(match.group(1)) if match else None
    if code not in WRITE_ERRNOS:
        return None
    if isinstance(exc, WriteError):
        return exc
    kept, resume = _NOTE.get()
    reason = os.strerror(code)
    return WriteError(f"cannot write {path}: {reason}; {kept}; {resume}", errno=code, filename=str(path))


def _file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


_MODE = _file_mode()


def write_atomic(path: Path | str, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` and move the result onto ``path`` atomically; return ``path``."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TMP_SUFFIX)
    except OSError as exc:
        raise (write_failure(path, exc) or exc) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, _MODE)
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        failure = write_failure(path, exc) if isinstance(exc, Exception) else None
        if failure is not None and failure is not exc:
            raise failure from exc
        raise
    return path


def write_bytes_atomic(path: Path | str, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (parents created)."""
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))


def write_text_atomic(path: Path | str, text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return write_bytes_atomic(path, text.encode("utf-8"))


def write_json_atomic(
    path: Path | str, payload: Any, *, indent: int | None = 2, sort_keys: bool = False
) -> Path:
    """Write ``payload`` as JSON (with a final newline) to ``path`` atomically."""
    return write_text_atomic(path, json.dumps(payload, indent=indent, sort_keys=sort_keys) + "\n")


OWNED_HEAD_BYTES = 1 << 20


def write_owned(
    path: Path | str,
    write: Callable[[Path], None],
    *,
    what: str,
    ours: Callable[[bytes], bool],
    option: str = "--out",
) -> Path:
    """:func:`write_atomic` for a file a command writes on request (``--out``, ``--json``): it may
    create ``path`` or replace an earlier output of its own, nothing else.

    ``ours(head)`` receives the first :data:`OWNED_HEAD_BYTES` bytes of an existing file and says
    whether it is such an earlier output. A link, a folder, a FIFO or any other file is refused with
    a :class:`~harness.errors.UnsafePathError` naming it, and left untouched.
    """
    from harness.errors import UnsafePathError

    path = Path(path)
    if path.is_symlink():
        raise UnsafePathError(f"{option} {path} is a symbolic link; refusing to write through it")
    if path.exists():
        if not path.is_file():
            raise UnsafePathError(f"{option} {path} exists and is not a regular file; refusing to replace it")
        try:
            with open(path, "rb") as handle:
                head = handle.read(OWNED_HEAD_BYTES)
        except OSError as exc:
            raise UnsafePathError(f"{option} {path} exists and cannot be read ({exc.strerror})") from exc
        if not ours(head):
            raise UnsafePathError(
                f"{option} {path} exists and is not {what} written by this command; refusing to "
                "overwrite it (choose another file name, or move the file away)"
            )
    return write_atomic(path, write)


def same_first_line(new: bytes) -> Callable[[bytes], bool]:
    """An ``ours`` test for :func:`write_owned`: the existing file starts with the same line."""
    first = new.split(b"\n", 1)[0]
    return lambda head: head.split(b"\n", 1)[0] == first
