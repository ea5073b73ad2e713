"""``harness.atomic``: failed writes become one-line WriteErrors; ``write_owned`` replaces only its own."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from harness.atomic import on_write_failure, same_first_line, write_failure, write_owned, write_text_atomic
from harness.errors import UnsafePathError, WriteError


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT])
def test_disk_full_read_only_and_forbidden_become_write_errors(
    tmp_path: Path, monkeypatch, code: int
) -> None:
    target = tmp_path / "r.json"
    target.write_text("old")

    def failing(src, dst):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr("harness.atomic.os.replace", failing)
    with on_write_failure("the cache is kept", "run it again"), pytest.raises(WriteError) as caught:
        write_text_atomic(target, "new")
    message = str(caught.value)
    assert message.startswith(f"cannot write {target}: {os.strerror(code)}; the cache is kept; run it again")
    assert caught.value.errno == code and isinstance(caught.value, OSError)
    assert target.read_text() == "old" and list(tmp_path.iterdir()) == [target]


def test_wrapped_os_errors_are_recognised_and_others_are_not() -> None:
    wrapped = RuntimeError('IoError(Os { code: 28, kind: StorageFull, message: "No space left" })')
    assert "No space left on device" in str(write_failure("c.safetensors", wrapped))
    assert write_failure("x", ValueError("Os { code: 2, kind: NotFound }")) is None
    assert write_failure("x", OSError(errno.ENOENT, "No such file")) is None


def test_write_owned_replaces_only_its_own_output(tmp_path: Path) -> None:
    target = tmp_path / "t.md"
    data = b"**Table**\n| a |\n"
    write_owned(target, lambda tmp: tmp.write_bytes(data), what="a table", ours=same_first_line(data))
    write_owned(target, lambda tmp: tmp.write_bytes(data), what="a table", ours=same_first_line(data))
    foreign = tmp_path / "notes.md"
    foreign.write_text("mine\n")
    with pytest.raises(UnsafePathError, match="refusing to overwrite"):
        write_owned(foreign, lambda tmp: tmp.write_bytes(data), what="a table", ours=same_first_line(data))
    link = tmp_path / "link.md"
    link.symlink_to(target)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        write_owned(link, lambda tmp: tmp.write_bytes(data), what="a table", ours=same_first_line(data))
    assert foreign.read_text() == "mine\n" and link.is_symlink()
