"""Provenance of a run: code version, environment, device, seeds, command line, time."""

from __future__ import annotations

import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import harness


def git_state(repo: Path | None = None) -> tuple[str | None, bool | None]:
    """``(sha, dirty)`` of the checkout holding the harness, or ``(None, None)`` outside git."""
    repo = repo or Path(harness.__file__).resolve().parent.parent
    try:
        sha = subprocess.run(
            ["git", "-C", str(repo), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return sha or None, bool(status.strip())


def environment(device: str | None = None) -> dict:
    """Versions of python/torch/CUDA and the name of the device used."""
    import torch

    device_name = platform.processor() or platform.machine()
    if device and device.startswith("cuda") and torch.cuda.is_available():
        device_name = torch.cuda.get_device_name(torch.device(device))
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cuda_available": torch.cuda.is_available(),
        "device": device,
        "device_name": device_name,
        "platform": platform.platform(),
    }


def collect(*, device: str | None, seeds: dict[str, int], synthetic_data: bool) -> dict:
    sha, dirty = git_state()
    return {
        "harness_version": harness.__version__,
        "git_sha": sha,
        "git_dirty": dirty,
        **environment(device),
        "seeds": seeds,
        "command": " ".join(sys.argv),
        "timestamp_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "synthetic_data": synthetic_data,
    }
