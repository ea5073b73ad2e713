"""RSTPReid layout writer: ``RSTPReid/imgs/<pid>_c<cam>_<k>.jpg`` + ``data_captions.json`` (key ``img_path``).

Train, val and test identities, five images each from 15 cameras, two captions per image.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.layouts.pedes import PedesPlan, write_pedes


def _rel(split: str, pid: int, cam: int, k: int) -> str:
    return f"{pid:04d}_c{cam + 1}_{k:02d}.jpg"


def write_rstpreid(root: Path, *, seed: int, scale: dict) -> dict:
    """Write ``root/RSTPReid``; return its split counts (ids, images, captions)."""
    plan = PedesPlan(
        dataset="rstpreid",
        folder="RSTPReid",
        annotation="data_captions.json",
        path_key="img_path",
        splits={
            "train": max(2, scale["train_ids"] // 2),
            "val": max(2, scale["test_ids"] // 4),
            "test": scale["test_ids"],
        },
        images_per_id=(5, 5),
        n_captions=2,
        first_id=0,
        num_cams=15,
        rel_path=_rel,
    )
    return write_pedes(root, plan, seed=seed)
