from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from harness.errors import ResultError
from harness.results import (
    SCHEMA_VERSION,
    ResultRecord,
    load_results,
    read_record,
    read_records,
    record_key,
    schema,
    write_record,
)
from harness.results.io import COPIES_MARKER
from harness.results.schema import (
    CheckpointRef,
    Counts,
    MethodInfo,
    ProtocolInfo,
    Provenance,
    RerankSettings,
    Settings,
    TextMaskSettings,
)


def make_record(leg: str = "market1501", r1: float = 0.5, **settings) -> ResultRecord:
    return ResultRecord(
        protocol=ProtocolInfo(
            name="single", version=1, leg=leg, test=schema.TestSet(dataset="market1501"), evaluation={}
        ),
        method=MethodInfo(name="hsv-hist", weights="weights-free"),
        settings=Settings(**settings),
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
    assert json.loads(path.read_text())["schema_version"] == SCHEMA_VERSION == 2
    assert [p.name for p in path.parent.iterdir()] == ["market1501.json"]  # no temporary files left


def test_rewrite_replaces_atomically(tmp_path: Path) -> None:
    write_record(tmp_path, make_record(r1=0.1))
    path = write_record(tmp_path, make_record(r1=0.9))
    assert read_record(path).metrics["R1"] == 0.9


def test_variants_get_their_own_folder(tmp_path: Path) -> None:
    default = write_record(tmp_path, make_record())
    variant = make_record()
    variant.method.variant = "sie-olp"
    path = write_record(tmp_path, variant)
    assert path == tmp_path / "hsv-hist@sie-olp" / "single" / "market1501.json"
    assert default.is_file() and path.is_file()


@pytest.mark.parametrize(
    ("settings", "name"),
    [
        ({"flip": True}, "market1501+flip.json"),
        ({"dtype": "bf16", "method_dtype": "fp32"}, "market1501+bf16.json"),
        ({"dtype": "fp16", "method_dtype": "fp16"}, "market1501.json"),
        ({"rerank": RerankSettings()}, "market1501+rerank.json"),
        ({"rerank": RerankSettings(k1=30)}, "market1501+rerank-30-6-0.3.json"),
        ({"rerank": RerankSettings(), "flip": True}, "market1501+rerank+flip.json"),
        ({"text_mask": TextMaskSettings(ratio=0.3)}, "market1501+mask0.3.json"),
        ({"text_mask": TextMaskSettings(ratio=0.3, strategy="unk")}, "market1501+unk0.3.json"),
        ({"checkpoint": CheckpointRef(sha256="AB" * 32)}, "market1501+w-abababab.json"),
        ({"checkpoint": CheckpointRef(sha256="ab" * 32, card_sha256="ab" * 32)}, "market1501.json"),
    ],
)
def test_settings_that_change_numbers_are_in_the_path(tmp_path: Path, settings: dict, name: str) -> None:
    plain = write_record(tmp_path, make_record(r1=0.1))
    variant = write_record(tmp_path, make_record(r1=0.9, **settings))
    assert variant.name == name
    if name != "market1501.json":  # a variant run never overwrites the plain one
        assert read_record(plain).metrics["R1"] == 0.1
        assert record_key(read_record(variant)) != record_key(read_record(plain))


def test_protocol_version_is_in_the_identity_and_path(tmp_path: Path) -> None:
    v1 = write_record(tmp_path, make_record(r1=0.1))
    newer = make_record(r1=0.9)
    newer.protocol.version = 2
    v2 = write_record(tmp_path, newer)
    assert v2 == tmp_path / "hsv-hist" / "single@v2" / "market1501.json"
    assert read_record(v1).metrics["R1"] == 0.1
    keys = {f.key.protocol_version for f in read_records(tmp_path)}
    assert keys == {1, 2}


def test_load_results_frame(tmp_path: Path) -> None:
    write_record(tmp_path, make_record("a", 0.1))
    trials = make_record("b", 0.2)
    trials.metrics_std = {"R1": 0.05}
    trials.trial_metrics = [{"R1": 0.15, "mAP": 0.4}, {"R1": 0.25, "mAP": 0.4}]
    write_record(tmp_path, trials)
    write_record(tmp_path, make_record("a", 0.3, flip=True))
    frame = load_results(tmp_path)
    assert frame[["leg", "settings", "R1"]].values.tolist() == [
        ["a", "", 0.1],
        ["a", "flip", 0.3],
        ["b", "", 0.2],
    ]
    assert set(frame.columns) >= {
        "method",
        "protocol",
        "protocol_version",
        "kind",
        "mAP",
        "R1_std",
        "trials",
        "n_valid_query",
        "synthetic_data",
        "world_scale",
    }
    row = frame[frame["leg"] == "b"].iloc[0]
    assert row["R1_std"] == 0.05 and [t["R1"] for t in row["trials"]] == [0.15, 0.25]
    assert math.isnan(frame[frame["leg"] == "a"].iloc[0]["R1_std"])
    assert list(frame.columns[:13]) == [
        *("method", "variant", "weights", "protocol", "protocol_version", "leg", "settings", "kind"),
        *("R1", "R5", "R10", "mAP", "mINP"),
    ]


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("{not json", "cannot read result record"),
        ("[1, 2]", "a result record is a JSON object"),
        ('{"schema_version": 99}', "schema_version 99 is not supported"),
        ('{"schema_version": 2, "metrics": {}}', "invalid result record"),
    ],
)
def test_bad_records_name_the_file(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ResultError) as info:
        read_record(path)
    assert str(path) in str(info.value) and expected in str(info.value)


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("metrics.mAP", "Infinity", "metrics.mAP: inf is not a finite number"),
        ("metrics.R1", "NaN", "metrics.R1: nan is not a finite number"),
        ("metrics.R1", 1.7, "metrics.R1: 1.7 is outside the valid range [0, 1]"),
        ("metrics.mINP", -0.1, "metrics.mINP: -0.1 is outside the valid range [0, 1]"),
        ("metrics.R7", 0.5, "metrics.R7: not a registered metric"),
        ("metrics_std.R1", "NaN", "metrics_std.R1"),
        ("cmc.0", 1.5, "cmc[0]"),
    ],
)
def test_impossible_metrics_are_refused_naming_file_and_field(
    tmp_path: Path, field: str, value, expected: str
) -> None:
    path = write_record(tmp_path, make_record())
    raw = json.loads(path.read_text())
    block, key = field.split(".")
    if block == "cmc":
        raw["cmc"][int(key)] = value
    else:
        raw[block][key] = value
    text = json.dumps(raw)
    for token in ("Infinity", "NaN"):  # json.dumps writes these bare, as a hostile file would
        text = text.replace(f'"{token}"', token)
    path.write_text(text)
    with pytest.raises(ResultError) as info:
        read_records(tmp_path)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_a_record_with_an_impossible_metric_is_never_written(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match=r"metrics\.R1"):
        write_record(tmp_path, make_record(r1=float("nan")))
    assert not list(tmp_path.rglob("*.json"))


def test_duplicate_identity_is_an_error_naming_both_files(tmp_path: Path) -> None:
    path = write_record(tmp_path, make_record())
    copy = tmp_path / "backup" / "market1501.json"
    copy.parent.mkdir()
    copy.write_text(path.read_text())
    with pytest.raises(ResultError) as info:
        read_records(tmp_path)
    message = str(info.value)
    assert str(path) in message and str(copy) in message and "hsv-hist/single/market1501" in message


def test_marked_copy_folders_are_skipped_and_said(tmp_path: Path, caplog) -> None:
    path = write_record(tmp_path, make_record())
    copies = tmp_path / "site" / "records"
    (copies / "hsv-hist" / "single").mkdir(parents=True)
    (copies / "hsv-hist" / "single" / "market1501.json").write_text(path.read_text())
    (copies / COPIES_MARKER).write_text("copies\n")
    with caplog.at_level("WARNING"):
        assert [f.path for f in read_records(tmp_path)] == [path]
    assert str(copies) in caplog.text and "skipped" in caplog.text


def test_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ResultError, match="no such results folder"):
        read_records(tmp_path / "nope")
