"""The prepared GPU check (benchmarks/gpu_check.sh) in its dry-run mode: the same steps on CPU at tiny
sizes, so that the script a GPU session runs once cannot rot."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_gpu_check_dry_run_writes_every_step(tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = dict(os.environ, PYTHON=sys.executable, OMP_NUM_THREADS="1")
    proc = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--dry-run", "--out", str(out)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((out / "gpu_check.json").read_text())
    assert report["dry_run"] is True
    assert list(report["steps"]) == [
        "extract_in_memory",
        "extract_end_to_end",
        "metrics_msmt17",
        "rerank_msmt17",
        "harness_run",
    ]
    for name, step in report["steps"].items():
        assert step["value"] is not None, f"{name}: {step.get('error')}"
    assert report["steps"]["harness_run"]["records"], "harness run wrote no record"
    assert report["environment"]["torch"]
    table = (out / "gpu_check.md").read_text()
    assert "| rerank_msmt17 |" in table and ">= 8,000 images/s" in table


def test_gpu_check_refuses_unknown_options(tmp_path: Path) -> None:
    proc = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), "--bogus"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "unknown option --bogus" in proc.stderr
