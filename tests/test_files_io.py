"""Atomic writes (harness.atomic) and file hashing (harness.hashing)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from harness.atomic import write_atomic, write_json_atomic, write_text_atomic


def test_writes_replace_and_leave_no_temporaries(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "a.json"
    write_json_atomic(path, {"b": 1, "a": 2}, sort_keys=True)
    assert path.read_text() == '{\n  "a": 2,\n  "b": 1\n}\n'
    write_text_atomic(path, "new")
    assert path.read_text() == "new"
    assert sorted(p.name for p in path.parent.iterdir()) == ["a.json"]


def test_permissions_follow_the_umask_not_mkstemp(tmp_path: Path) -> None:
    path = write_text_atomic(tmp_path / "x.txt", "x")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask


def test_a_failing_writer_keeps_the_old_file(tmp_path: Path) -> None:
    path = write_text_atomic(tmp_path / "keep.txt", "old")

    def broken(tmp: Path) -> None:
        tmp.write_text("half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        write_atomic(path, broken)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]
    assert json.loads(write_json_atomic(tmp_path / "j.json", [1]).read_text()) == [1]


def test_sha256_is_computed_once_per_unchanged_file(tmp_path: Path) -> None:
    import hashlib

    from harness.hashing import _sha256, sha256_file

    path = tmp_path / "w.bin"
    path.write_bytes(b"abc")
    before = _sha256.cache_info().misses
    assert sha256_file(path) == hashlib.sha256(b"abc").hexdigest()
    assert sha256_file(str(path)) == hashlib.sha256(b"abc").hexdigest()
    assert _sha256.cache_info().misses == before + 1
    path.write_bytes(b"abcd")  # rewritten: new size, hashed again
    assert sha256_file(path) == hashlib.sha256(b"abcd").hexdigest()
