"""Adding a metric is one registration plus its computation: a toy metric reaches the record, the
run table, ``load_results``, the leaderboard and ``harness check`` with no other change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.metrics import registry
from harness.metrics.registry import METRICS, MetricInfo, register_metric
from harness.results import load_results, read_records


@pytest.fixture()
def toy_metric(monkeypatch: pytest.MonkeyPatch) -> MetricInfo:
    """R3 (CMC at rank 3) registered for image legs, for one test only."""
    for attribute in ("_entries", "_aliases", "_display"):
        monkeypatch.setattr(METRICS, attribute, dict(getattr(METRICS, attribute)))
    monkeypatch.setattr(registry, "_ORDER", list(registry._ORDER))
    return register_metric(
        MetricInfo(
            "R3",
            "toy: CMC at rank 3",
            kinds=frozenset({"image"}),
            decimals=1,
            compute=lambda result: float(result.cmc[2]),
        )
    )


def test_a_registered_metric_reaches_every_consumer(
    toy_metric, tiny_world: Path, tmp_path: Path, cli
) -> None:
    out = tmp_path / "out"
    args = ["run", "-p", "single", "-m", "hsv-hist", "--leg", "market1501", "--data-root", str(tiny_world)]
    result = cli.invoke(app, [*args, "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    # the record
    [f] = read_records(out)
    r3 = f.record.metrics["R3"]
    assert r3 == pytest.approx(f.record.cmc[2]) and f.record.metrics["R1"] <= r3 <= f.record.metrics["R5"]
    # the run table (registration order: after the built-in metrics, with the metric's own decimals)
    header = next(line for line in result.output.splitlines() if "R1" in line and "mAP" in line)
    assert header.index("mINP") < header.index("R3")
    assert f"{100 * r3:.1f}" in result.output
    # the results frame
    frame = load_results(out)
    assert frame.iloc[0]["R3"] == r3
    # the leaderboard
    site = tmp_path / "site"
    result = cli.invoke(
        app, ["leaderboard", "--results", str(out), "--out", str(site), "--allow-nonreportable"]
    )
    assert result.exit_code == 0, result.output
    page = (site / "single.html").read_text(encoding="utf-8")
    assert ">R3<" in page and f"{100 * r3:.1f}" in page
    # harness check: --update writes it, a check compares it
    expected = tmp_path / "expected.yaml"
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--update"])
    assert result.exit_code == 0, result.output
    assert "R3:" in expected.read_text()
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected), "--format", "json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert {r["metric"] for r in rows if r["status"] == "ok"} >= {"R1", "R3", "mAP"}
    # a record whose R3 is impossible is refused by the reader, naming the field
    raw = json.loads(f.path.read_text())
    raw["metrics"]["R3"] = 1.5
    f.path.write_text(json.dumps(raw))
    result = cli.invoke(app, ["check", str(out), "--expected", str(expected)])
    assert result.exit_code == 2 and "metrics.R3" in result.output
