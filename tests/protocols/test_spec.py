from __future__ import annotations

from pathlib import Path

import pytest

from harness.errors import ProtocolError
from harness.protocols import get_protocol
from harness.protocols.registry import PROTOCOLS
from harness.protocols.spec import load_protocol_file

VALID = """
name: mine
version: 2
title: A test protocol
evaluation: {distance: cosine}
legs:
  - name: a
    train: [{dataset: market1501, parts: [train]}]
    test: {dataset: market1501}
  - name: b
    test: {dataset: market1501}
    evaluation: {max_rank: 10}
"""


def write(tmp_path: Path, text: str, name: str = "mine.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_single_protocol() -> None:
    spec = get_protocol("sdl")
    assert spec.name == "single" and spec.version >= 1
    leg = spec.leg("market1501")
    assert leg.test.dataset == "market1501"
    evaluation = spec.evaluation_for(leg)
    assert (evaluation.junk, evaluation.distance, evaluation.normalize) == ("same-camera", "euclidean", True)


def test_leg_overrides_protocol_evaluation(tmp_path: Path) -> None:
    spec = load_protocol_file(write(tmp_path, VALID))
    assert spec.evaluation_for(spec.leg("a")).max_rank == 50
    assert spec.evaluation_for(spec.leg("b")).max_rank == 10
    assert spec.evaluation_for(spec.leg("b")).distance == "cosine"
    with pytest.raises(ProtocolError, match="has no leg 'c'"):
        spec.leg("c")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (VALID.replace("version: 2", "version: 0"), "version"),
        (VALID.replace("title: A test protocol", "title: t\nbogus: 1"), "bogus"),
        (VALID.replace("name: b", "name: a"), "leg names must be unique; repeated: a"),
        (VALID.replace("{max_rank: 10}", "{max_rank: -1}"), "max_rank"),
        (VALID.replace("{distance: cosine}", "{distance: hamming}"), "evaluation.distance"),
        ("- just a list", "expected a mapping"),
        ("name: [unclosed", "cannot read protocol file"),
    ],
)
def test_malformed_files_name_the_file_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProtocolError) as info:
        load_protocol_file(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_user_protocol_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry) -> None:
    write(tmp_path, VALID)
    monkeypatch.setenv("HARNESS_PROTOCOL_PATH", str(tmp_path))
    reset_registry(PROTOCOLS)
    assert "mine" in PROTOCOLS.names() and "single" in PROTOCOLS.names()


def test_file_name_must_match_protocol_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry
) -> None:
    write(tmp_path, VALID, name="other.yaml")
    monkeypatch.setenv("HARNESS_PROTOCOL_PATH", str(tmp_path))
    reset_registry(PROTOCOLS)
    with pytest.raises(ProtocolError, match="file name must match the protocol name 'mine'"):
        PROTOCOLS.names()
