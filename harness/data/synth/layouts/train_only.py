"""Writers of the training-only sources: CUHK-SYSU crops, CUHK02 pairs, the RandPerson subset and
SYNTH-PEDES (with its caption annotation file)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.data.synth.guard import put_text
from harness.data.synth.layouts._common import SplitCounter
from harness.data.synth.world import rng_for

RANDPERSON_OFFSET = (0, 2, 4, 6, 8, 9, 10, 12, 13, 14, 15)


def write_cuhksysu(root: Path, *, seed: int, scale: dict) -> dict:
    """``cuhksysu/cropped_images/p<pid:05d>_s<scene>_<k>.jpg`` (torchreid variant)."""
    dataset = "cuhksysu"
    base = root / "cuhksysu" / "cropped_images"
    rng = rng_for(seed, dataset, "plan")
    out = SplitCounter(seed, dataset, ("train",))
    for pid in range(1, scale["train_ids"] + 1):
        scene = 100 + pid
        for k in range(int(rng.integers(2, 4))):
            out.write(base / f"p{pid:05d}_s{scene}_{k + 1}.jpg", "train", pid, k % 2, k)
    return out.counts()


def write_cuhk02(root: Path, *, seed: int, scale: dict) -> dict:
    """``cuhk02/Dataset/P1..P5/{cam1,cam2}/<id:03d>_<k>.png``; ids restart in every pair."""
    dataset = "cuhk02"
    base = root / "cuhk02" / "Dataset"
    out = SplitCounter(seed, dataset, ("train", "query", "gallery"))
    per_pair = max(2, scale["train_ids"] // 8)
    label = 0
    for p in range(1, 6):
        for local in range(1, per_pair + 1):
            label += 1  # the reader numbers (pair, prefix) keys 1..N in sorted order
            for c in (1, 2):
                split = "train" if p < 5 else ("query" if c == 1 else "gallery")
                for k in (1, 2):
                    out.write(
                        base / f"P{p}" / f"cam{c}" / f"{local:03d}_{2 * (c - 1) + k}.png",
                        split,
                        label,
                        2 * (p - 1) + c - 1,
                        k,
                    )
    return out.counts()


def write_randperson(root: Path, *, seed: int, scale: dict) -> dict:
    """``randperson_subset/<pid:06d>_s<scene:02d>_c<cam:02d>_f<frame:06d>.jpg``."""
    dataset = "randperson"
    base = root / "randperson_subset"
    rng = rng_for(seed, dataset, "plan")
    out = SplitCounter(seed, dataset, ("train",))
    for pid in range(scale["train_ids"]):
        scene = int(rng.integers(len(RANDPERSON_OFFSET) - 1))
        for k in range(3):
            cam = k % 2
            out.write(
                base / f"{pid:06d}_s{scene:02d}_c{cam:02d}_f{100 + k:06d}.jpg",
                "train",
                pid,
                RANDPERSON_OFFSET[scene] + cam,
                k,
            )
    return out.counts()


def write_synthpedes(root: Path, *, seed: int, scale: dict) -> dict:
    """``SYNTH-PEDES/Part1/<id>/<k>.jpg`` + ``synthpedes_dataset.json`` with 2 captions per image."""
    dataset = "synthpedes"
    base = root / "SYNTH-PEDES"
    out = SplitCounter(seed, dataset, ("train",))
    entries = []
    for pid in range(1, scale["train_ids"] + 1):
        for k in (1, 2):
            rel = f"Part1/{pid}/{k}.jpg"
            image = out.write(base / rel, "train", pid, 0, k)
            entries.append(
                {
                    "id": pid,
                    "file_path": rel,
                    "attributes": ["person"],
                    "captions": list(image.captions),
                    "prompt_caption": [image.captions[0]],
                }
            )
    put_text(base / "synthpedes_dataset.json", json.dumps(entries, indent=1))
    return out.counts()
