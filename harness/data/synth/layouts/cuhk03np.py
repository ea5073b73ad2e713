"""CUHK03-NP layout writers: ``cuhk03-np/{labeled,detected}/{bounding_box_train,query,bounding_box_test}``.

Names ``<pid:04d>_c<cam>_<k>.png`` with cameras 1-2. Test pids restart at 1 (so the reader's offset
of test pids is exercised); query = one image per camera per test id, the rest is the gallery.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.layouts._common import SplitCounter
from harness.data.synth.world import rng_for


def _write(root: Path, mode: str, *, seed: int, scale: dict) -> dict:
    dataset = f"cuhk03-np-{mode}"
    base = root / "cuhk03-np" / mode
    rng = rng_for(seed, dataset, "plan")
    out = SplitCounter(seed, "cuhk03", ("train", "query", "gallery"))
    n_train, n_test = scale["train_ids"] // 2, scale["test_ids"] // 2
    for pid in range(1, n_train + 1):
        for cam in (1, 2):
            for k in range(1, int(rng.integers(2, 4)) + 1):
                out.write(base / "bounding_box_train" / f"{pid:04d}_c{cam}_{k}.png", "train", pid, cam - 1, k)
    for tid in range(1, n_test + 1):
        world_pid = 5000 + tid
        for cam in (1, 2):
            for k in range(1, int(rng.integers(2, 4)) + 1):
                folder, split = ("query", "query") if k == 1 else ("bounding_box_test", "gallery")
                out.write(
                    base / folder / f"{tid:04d}_c{cam}_{k}.png",
                    split,
                    world_pid,
                    cam - 1,
                    10 * cam + k,
                    count_pid=tid,
                )
    return out.counts()


def write_cuhk03_labeled(root: Path, *, seed: int, scale: dict) -> dict:
    return _write(root, "labeled", seed=seed, scale=scale)


def write_cuhk03_detected(root: Path, *, seed: int, scale: dict) -> dict:
    return _write(root, "detected", seed=seed, scale=scale)
