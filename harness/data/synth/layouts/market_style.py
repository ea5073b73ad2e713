"""DukeMTMC-reID layout writer (Market-style folders, 8 cameras, no distractor class)."""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.layouts._common import SplitCounter
from harness.data.synth.world import rng_for


def write_dukemtmc(root: Path, *, seed: int, scale: dict) -> dict:
    dataset = "dukemtmc"
    base = root / "dukemtmc-reid" / "DukeMTMC-reID"
    rng = rng_for(seed, dataset, "plan")
    out = SplitCounter(seed, dataset, ("train", "query", "gallery"))
    n_train, n_test = scale["train_ids"] // 2, scale["test_ids"] // 2
    frame = 0
    for pid in range(1, n_train + 1):
        for cam in rng.choice(8, size=2, replace=False):
            frame += 1
            out.write(
                base / "bounding_box_train" / f"{pid:04d}_c{cam + 1}_f{frame:07d}.jpg",
                "train",
                pid,
                int(cam),
                frame,
            )
    for pid in range(n_train + 1, n_train + n_test + 1):
        for c, cam in enumerate(rng.choice(8, size=2, replace=False)):
            for j in range(2):
                frame += 1
                folder, split = ("query", "query") if c == 0 and j == 0 else ("bounding_box_test", "gallery")
                out.write(
                    base / folder / f"{pid:04d}_c{cam + 1}_f{frame:07d}.jpg", split, pid, int(cam), frame
                )
    return out.counts()
