"""``harness.yamlio``: the one YAML loader and its limits (hand-built hostile documents)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from harness.errors import ConfigError, ProtocolError
from harness.yamlio import MAX_NODES, load_yaml, parse_yaml

LAUGHS = "\n".join(
    ['a: &a ["l","l","l","l","l","l","l","l","l"]']
    + [f"{n}: &{n} [{','.join([f'*{p}'] * 9)}]" for p, n in zip("abcdefgh", "bcdefghi", strict=True)]
)


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "x.yaml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return path


def test_anchors_and_aliases_within_the_limit_load() -> None:
    assert parse_yaml("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}
    assert parse_yaml("") is None


def test_billion_laughs_is_refused_at_once_naming_the_file(tmp_path: Path) -> None:
    start = time.perf_counter()
    with pytest.raises(
        ProtocolError, match=r"x\.yaml: cannot read protocol file: refused because .*YAML bomb"
    ):
        load_yaml(_write(tmp_path, LAUGHS), what="protocol file", error=ProtocolError)
    assert time.perf_counter() - start < 1.0


def test_expansion_just_under_the_limit_loads() -> None:
    width = 400  # 1 + 400 * (1 + 400) nodes, below MAX_NODES
    assert 1 + width * (1 + width) < MAX_NODES
    text = f"a: &a [{','.join(['1'] * width)}]\nb: [{','.join(['*a'] * width)}]\n"
    assert len(parse_yaml(text)["b"]) == width


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("a: &a [*a]\n", "a cycle"),
        ("a: " + "[" * 5000 + "]" * 5000, "nested more than"),
        (b"a: \xff\n", "not UTF-8"),
        ("a: !!python/object/apply:os.system ['true']\n", "not valid YAML"),
        ("a: [unclosed\n", "not valid YAML"),
        ("# " + "x" * (4 * 1024 * 1024 + 1), "larger than 4 MiB"),
    ],
)
def test_hostile_documents_are_one_line_errors(tmp_path: Path, text: str | bytes, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason) as caught:
        load_yaml(_write(tmp_path, text), what="card")
    assert "\n" not in str(caught.value) and "x.yaml" in str(caught.value)


def test_special_files_are_never_opened(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_yaml(fifo, what="card")
    with pytest.raises(ConfigError, match="not a regular file"):
        load_yaml(tmp_path, what="card")
    with pytest.raises(ConfigError, match="cannot read card"):
        load_yaml(tmp_path / "missing.yaml", what="card")
