"""Helpers of the end-to-end robustness tests: world copies, ``harness run`` via CliRunner, checks."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import Result
from typer.testing import CliRunner

USER_ERROR_EXIT = 2
QUICK_PROFILE = (
    "profile",
    "-m",
    "hsv-hist",
    "--device",
    "cpu",
    "--iters",
    "1",
    "--warmup",
    "0",
    "--batch-size",
    "2",
)
"""``harness profile`` of the weights-free baseline, as short as it gets."""


def copy_datasets(tiny_world: Path, target: Path, *folders: str) -> Path:
    """A writable copy of ``folders`` of the tiny world (and its counts marker) under ``target``."""
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy2(tiny_world / "harness-synthetic.json", target / "harness-synthetic.json")
    for folder in folders:
        shutil.copytree(tiny_world / folder, target / folder, ignore=shutil.ignore_patterns("*.lock"))
    return target


def run(
    cli: CliRunner,
    root: Path,
    out: Path,
    *extra: str,
    protocol: str = "single",
    method: str = "hsv-hist",
    leg: str = "market1501",
) -> Result:
    """``harness run -p PROTOCOL -m METHOD --leg LEG --data-root ROOT --out OUT --device cpu ...``."""
    from harness.cli.app import app

    args = ["run", "-p", protocol, "-m", method, "--leg", leg, "--data-root", str(root), "--out", str(out)]
    return cli.invoke(app, [*args, "--device", "cpu", "--no-progress", "--batch-size", "16", *extra])


def assert_user_error(result: Result, *fragments: str) -> str:
    """Exit status 2 with ``error: ...`` naming every fragment, and no traceback (a HarnessError)."""
    output = result.output
    assert result.exit_code == USER_ERROR_EXIT, (result.exit_code, output, result.exception)
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught exception
    assert "error:" in output and "Traceback" not in output, output
    for fragment in fragments:
        assert fragment in output, (fragment, output)
    return output


def record(out: Path, method: str, protocol: str, leg: str) -> dict:
    """The result record ``harness run`` wrote for one leg (read through the validating reader)."""
    from harness.results import read_records

    hits = [
        f.record
        for f in read_records(out)
        if (f.key.method_dir, f.key.protocol, f.key.leg) == (method, protocol, leg)
    ]
    assert len(hits) == 1, f"{len(hits)} records of {method}/{protocol}/{leg} under {out}"
    return hits[0].model_dump(mode="json")
