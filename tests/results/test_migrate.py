"""Schema-1 records written by `harness run` before schema 2 (tests/results/fixtures/v1) still load."""

from __future__ import annotations

import json
from pathlib import Path

from harness.reports.measured import load_measured
from harness.results import load_results, read_records

V1 = Path(__file__).parent / "fixtures" / "v1"


def _raw() -> dict[str, dict]:
    return {str(p.relative_to(V1)): json.loads(p.read_text()) for p in sorted(V1.rglob("*.json"))}


def test_fixtures_are_schema_1_files() -> None:
    raw = _raw()
    assert len(raw) == 28 and {r["schema_version"] for r in raw.values()} == {1}


def test_v1_folder_loads_through_the_normal_reader() -> None:
    files = read_records(V1)
    raw = _raw()
    assert len(files) == len(raw)
    for f in files:
        before = raw[str(f.path.relative_to(V1))]
        assert f.record.schema_version == 2
        assert f.record.metrics == before["metrics"]  # numbers are never touched
        assert f.record.metrics_std == before["metrics_std"] and f.record.cmc == before["cmc"]
        assert f.record.protocol.version == before["protocol"]["version"]
        assert f.record.method.name == before["method"]["name"]
    keys = {str(f.key) for f in files}
    assert "hsv-hist/single/market1501" in keys and "hsv-hist/p1/grid" in keys
    assert "clip-reid@vit-b16/single/market1501+random-init" in keys


def test_text_mask_moves_out_of_the_test_block_into_settings() -> None:
    by_key = {str(f.key): f.record for f in read_records(V1)}
    masked = by_key["attr-match/textmask/cuhk-pedes+mask0.3"]
    assert masked.protocol.leg == "cuhk-pedes"  # the v1 leg name 'cuhk-pedes@mask0.3' carried the ratio
    assert masked.settings.text_mask.ratio == 0.3 and masked.settings.text_mask.repeats == 3
    assert masked.settings.text_mask.token == "[MASK]"
    assert masked.protocol.test.dataset == "cuhk-pedes" and masked.protocol.kind == "text"
    assert by_key["attr-match/textmask/cuhk-pedes+mask0.0"].settings.text_mask.ratio == 0.0
    plain = by_key["attr-match/t2i/cuhk-pedes"]
    assert plain.settings.text_mask is None and plain.protocol.test.query_modality == "text"


def test_multi_trial_records_keep_std_and_trials() -> None:
    frame = load_results(V1)
    grid = frame[(frame["protocol"] == "p1") & (frame["leg"] == "grid")].iloc[0]
    assert len(grid["trials"]) == 10 and grid["R1_std"] > 0
    assert grid["R1"] == sum(t["R1"] for t in grid["trials"]) / 10


def test_v1_settings_and_cost_blocks() -> None:
    by_key = {str(f.key): f.record for f in read_records(V1)}
    market = by_key["hsv-hist/single/market1501"]
    assert market.cost is not None and market.cost.throughput_image.items_per_s > 0
    assert market.settings.flip is False and market.settings.rerank is None
    assert market.settings.convention.distance == "euclidean"
    assert by_key["hsv-hist/p1/grid"].cost is None  # v1 wrote {} when not profiled
    measured = {m.key and str(m.key): m for m in load_measured(V1)}
    assert measured["attr-match/textmask/rstpreid+mask0.5"].mask_ratio == 0.5
    assert measured["hsv-hist/single/market1501"].profile["params"] == 0
