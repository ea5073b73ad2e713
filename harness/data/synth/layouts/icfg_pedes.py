"""ICFG-PEDES layout writer: ``ICFG-PEDES/imgs/{train,test}/<pid>/<file>.jpg`` + ``ICFG-PEDES.json``.

Train and test splits only, one caption per image, ids from 0 (IRRA asserts contiguous train ids).
"""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.layouts.pedes import PedesPlan, write_pedes


def _rel(split: str, pid: int, cam: int, k: int) -> str:
    return f"{split}/{pid:04d}/{pid:04d}_{cam:03d}_{k:02d}.jpg"


def write_icfg_pedes(root: Path, *, seed: int, scale: dict) -> dict:
    """Write ``root/ICFG-PEDES``; return its split counts (ids, images, captions)."""
    plan = PedesPlan(
        dataset="icfg-pedes",
        folder="ICFG-PEDES",
        annotation="ICFG-PEDES.json",
        path_key="file_path",
        splits={"train": max(2, scale["train_ids"] // 2), "test": scale["test_ids"]},
        images_per_id=(2, 4),
        n_captions=1,
        first_id=0,
        num_cams=15,
        rel_path=_rel,
    )
    return write_pedes(root, plan, seed=seed)
