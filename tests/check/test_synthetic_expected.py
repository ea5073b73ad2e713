"""CI regression of numbers: re-run the synthetic protocols, check results/expected/synthetic.yaml."""

from __future__ import annotations

from pathlib import Path

from harness.cli.app import app
from harness.regression import compare, load_expected
from harness.reports.measured import load_measured
from harness.runner import RunOptions, run_protocol

EXPECTED = Path(__file__).resolve().parents[2] / "results" / "expected" / "synthetic.yaml"


def run_plan(run: dict) -> dict[str, list[str]]:
    """``run.methods`` ({method: [protocols]}), or the single ``run.method`` + ``run.protocols``."""
    if "methods" in run:
        return {m: list(ps) for m, ps in run["methods"].items()}
    return {run["method"]: list(run["protocols"])}


def test_synthetic_world_reproduces_expected_numbers(tiny_world, tmp_path, cli):
    expected = load_expected(EXPECTED)
    run = expected.run
    assert run["world"] == {"scale": "tiny", "seed": 0}, "tiny_world is the tiny scale, seed 0 world"
    out = tmp_path / "results"
    plan = run_plan(run)
    for method, protocols in plan.items():
        for protocol in protocols:
            run_protocol(protocol, method, RunOptions(data_root=tiny_world, out_dir=out, device="cpu"))
    summary = compare(expected, load_measured(out))
    assert summary.passed, "\n".join(
        f"{r.method}/{r.protocol}/{r.leg} {r.metric}: expected {r.expected}, got {r.actual} ({r.status})"
        for r in summary.failures
    )
    assert {r.protocol for r in summary.rows if r.status == "ok"} == {p for ps in plan.values() for p in ps}
    result = cli.invoke(app, ["check", str(out), "--expected", str(EXPECTED)])
    assert result.exit_code == 0, result.output
    assert "check passed" in result.output
