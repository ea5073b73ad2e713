from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.errors import ResultError
from harness.results import SCHEMA_VERSION, ResultRecord, load_results, read_record, write_record
from harness.results.schema import Counts, MethodInfo, ProtocolInfo, Provenance


def make_record(leg: str = "market1501", r1: float = 0.5) -> ResultRecord:
    return ResultRecord(
        protocol=ProtocolInfo(name="single", version=1, leg=leg, evaluation={"junk": "same-camera"}),
        method=MethodInfo(name="hsv-hist", weights="weights-free"),
        metrics={"R1": r1, "R5": 0.7, "R10": 0.8, "mAP": 0.4, "mINP": 0.2},
        cmc=[r1, 0.6],
        conventions={"junk": "same-camera"},
        counts=Counts(n_query=10, n_gallery=20, n_valid_query=9),
        timings_s={"encode_query": 0.1, "encode_gallery": None},
        provenance=Provenance(
            harness_version="0.1.0",
            git_sha=None,
            git_dirty=None,
            python="3.11",
            torch="2",
            cuda=None,
            cuda_available=False,
            device="cpu",
            device_name="x86_64",
            platform="linux",
            seeds={"torch": 0},
            command="harness run",
            timestamp_utc="2026-11-23T00:00:00+00:00",
            synthetic_data=True,
        ),
    )


def test_round_trip_and_layout(tmp_path: Path) -> None:
    record = make_record()
    path = write_record(tmp_path, record)
    assert path == tmp_path / "hsv-hist" / "single" / "market1501.json"
    assert read_record(path) == record
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION
    assert [p.name for p in path.parent.iterdir()] == ["market1501.json"]  # no temporary files left


def test_rewrite_replaces_atomically(tmp_path: Path) -> None:
    write_record(tmp_path, make_record(r1=0.1))
    path = write_record(tmp_path, make_record(r1=0.9))
    assert read_record(path).metrics["R1"] == 0.9


def test_load_results_frame(tmp_path: Path) -> None:
    write_record(tmp_path, make_record("a", 0.1))
    write_record(tmp_path, make_record("b", 0.2))
    frame = load_results(tmp_path)
    assert frame[["leg", "R1"]].values.tolist() == [["a", 0.1], ["b", 0.2]]
    assert set(frame.columns) >= {
        "method",
        "protocol",
        "protocol_version",
        "mAP",
        "n_valid_query",
        "synthetic_data",
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "cannot read result record"),
        ('{"schema_version": 99}', "schema_version 99 is not supported"),
        ('{"schema_version": 1, "metrics": {}}', "invalid result record"),
    ],
)
def test_bad_records_name_the_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ResultError) as info:
        read_record(path)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_variants_get_their_own_folder(tmp_path: Path) -> None:
    default = write_record(tmp_path, make_record())
    variant = make_record()
    variant.method.variant = "sie-olp"
    path = write_record(tmp_path, variant)
    assert path == tmp_path / "hsv-hist@sie-olp" / "single" / "market1501.json"
    assert default.is_file() and path.is_file()
