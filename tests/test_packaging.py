"""The built-in methods/ and protocols/ are found from a built wheel, not only from the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_and_finds_builtin_definitions(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("reid_harness-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "harness/_builtin/methods/hsv-hist/method.yaml" in names
    assert "harness/_builtin/protocols/single.yaml" in names
    assert any(n.startswith("harness/_builtin/results/reported/") and n.endswith(".csv") for n in names)
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import harness, harness.resources as r; from harness.methods import METHODS; "
        "from harness.protocols import PROTOCOLS; from harness.reported import load_reported; "
        "assert len(load_reported()) > 500; "
        "print(harness.__file__); print(r.builtin_dir('methods')); print(METHODS.names(), PROTOCOLS.names())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith(str(target))
    assert lines[1] == str(target / "harness" / "_builtin" / "methods")
    assert "hsv-hist" in lines[2] and "single" in lines[2]
