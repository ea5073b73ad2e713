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
