"""Real ``python -m harness run`` processes: interrupted (SIGINT, SIGKILL) and resumed, and two at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CHUNK_ROWS = 8
N_CHUNKS = 4 + 12  # tiny Market: 32 queries, 94 gallery images


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HARNESS_")}
    env.update(PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", PYTHONUNBUFFERED="1")
    return env


def _command(world: Path, out: Path, cache: Path | None, batch: int = 1) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "harness",
        "run",
        "-p",
        "single",
        "-m",
        "hsv-hist",
        "--data-root",
        str(world),
        "--out",
        str(out),
        "--device",
        "cpu",
        "--batch-size",
        str(batch),
        "--no-progress",
        "--cache-chunk-rows",
        str(CHUNK_ROWS),
        "--leg",
        "market1501",
    ]
    return cmd + (["--cache-dir", str(cache)] if cache else ["--no-cache"])


def _run(cmd: list[str]) -> dict:
    done = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=240, cwd=REPO)
    assert done.returncode == 0, done.stderr[-3000:]
    out = Path(cmd[cmd.index("--out") + 1])
    return json.loads((out / "hsv-hist" / "single" / "market1501.json").read_text())


def _chunks(cache: Path) -> list[Path]:
    return sorted(cache.glob("embeddings/v1/*/*/chunk-*.safetensors"))


@pytest.fixture(scope="module")
def reference(tiny_world: Path, tmp_path_factory) -> dict:
    """The uninterrupted, uncached result (computed in this process)."""
    from harness.runner import RunOptions, run_protocol

    options = RunOptions(
        data_root=tiny_world, out_dir=tmp_path_factory.mktemp("ref"), device="cpu", no_cache=True
    )
    return run_protocol("single", "hsv-hist", options, legs=["market1501"])[0].record.model_dump(mode="json")


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupted_run_resumes_from_the_cache(
    tiny_world: Path, tmp_path: Path, reference: dict, sig
) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    proc = subprocess.Popen(
        _command(tiny_world, out, cache),
        env=_env(),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while len(_chunks(cache)) < 2:
        assert proc.poll() is None, f"run ended before it could be interrupted: {proc.stderr.read()[-2000:]}"
        assert time.monotonic() < deadline, "no cache chunk appeared"
        time.sleep(0.005)
    proc.send_signal(sig)
    proc.wait(timeout=60)
    assert proc.returncode != 0
    assert not (out / "hsv-hist" / "single" / "market1501.json").exists()
    present = _chunks(cache)
    assert 2 <= len(present) < N_CHUNKS

    # a partial file under a final chunk name (as a crash mid-copy could leave) must not be read
    entry = present[-1].parent
    missing = next(
        entry / f"chunk-{i:06d}.safetensors"
        for i in range(N_CHUNKS)
        if not (entry / f"chunk-{i:06d}.safetensors").exists()
    )
    missing.write_bytes(present[-1].read_bytes()[:50])

    resumed = _run(_command(tiny_world, out, cache))
    computed = sum(resumed["engine"]["encode"][role]["chunks_computed"] for role in ("query", "gallery"))
    assert computed == N_CHUNKS - len(present)  # only the missing (and the damaged) chunks
    assert resumed["metrics"] == reference["metrics"] and resumed["cmc"] == reference["cmc"]
    assert len(_chunks(cache)) == N_CHUNKS


@pytest.mark.slow
def test_two_concurrent_runs_share_cache_and_output(
    tiny_world: Path, tmp_path: Path, reference: dict
) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    procs = [
        subprocess.Popen(
            _command(tiny_world, out, cache, batch=4),
            env=_env(),
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [proc.communicate(timeout=240) for proc in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err[-3000:]
    record = json.loads((out / "hsv-hist" / "single" / "market1501.json").read_text())
    assert record["metrics"] == reference["metrics"]
    assert len(_chunks(cache)) == N_CHUNKS
    assert not list(cache.rglob("*.tmp")) and not list(out.rglob("*.tmp"))
    verify = subprocess.run(
        [sys.executable, "-m", "harness", "cache", "verify", "--cache-dir", str(cache)],
        env=_env(),
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert verify.returncode == 0 and "2 of 2 entries intact" in verify.stdout
