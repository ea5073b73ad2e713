"""CUHK-PEDES layout writer: ``CUHK-PEDES/imgs/<source>/<file>.png`` + ``reid_raw.json`` (1-based ids).

Images are spread over the real release's source folders (``CUHK01``, ``CUHK03``, ``Market``,
``test_query``, ``train_query``); every image has two captions and a ``processed_tokens`` field.
"""

from __future__ import annotations

from pathlib import Path

from harness.data.synth.layouts.pedes import PedesPlan, write_pedes

SOURCES = ("CUHK01", "CUHK03", "Market", "test_query", "train_query")


def _rel(split: str, pid: int, cam: int, k: int) -> str:
    return f"{SOURCES[pid % len(SOURCES)]}/{pid:04d}{cam:03d}{k:02d}.png"


def write_cuhk_pedes(root: Path, *, seed: int, scale: dict) -> dict:
    """Write ``root/CUHK-PEDES``; return its split counts (ids, images, captions)."""
    plan = PedesPlan(
        dataset="cuhk-pedes",
        folder="CUHK-PEDES",
        annotation="reid_raw.json",
        path_key="file_path",
        splits={
            "train": max(2, scale["train_ids"] // 2),
            "val": max(2, scale["test_ids"] // 4),
            "test": scale["test_ids"],
        },
        images_per_id=(2, 4),
        n_captions=2,
        first_id=1,
        num_cams=2,
        rel_path=_rel,
        tokens=True,
    )
    return write_pedes(root, plan, seed=seed)
