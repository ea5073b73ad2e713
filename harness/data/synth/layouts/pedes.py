"""Shared planner for the synthetic text-to-image datasets (CUHK-PEDES, ICFG-PEDES, RSTPReid layouts).

Each split gets its own identities; every identity gets a few images from random cameras, each image
its captions from :mod:`harness.data.synth.captions` (via :func:`write_image`), and the dataset's JSON
annotation file lists one entry per image in the real file's field names. The counts returned (and
recorded in the world's marker) include the number of captions per split.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from harness.data.synth.draw import write_image
from harness.data.synth.guard import put_text
from harness.data.synth.world import rng_for


@dataclass(frozen=True)
class PedesPlan:
    """How one synthetic text-to-image dataset is laid out."""

    dataset: str
    folder: str
    annotation: str
    path_key: str
    splits: dict[str, int]
    """split name -> number of identities."""
    images_per_id: tuple[int, int]
    """inclusive range of images per identity."""
    n_captions: int
    first_id: int
    num_cams: int
    rel_path: Callable[[str, int, int, int], str]
    """``(split, pid, cam, k) -> path relative to imgs/``."""
    tokens: bool = False
    """Add CUHK-PEDES's ``processed_tokens`` field."""


def _tokens(caption: str) -> list[str]:
    return [w for w in "".join(c.lower() if c.isalnum() or c == "-" else " " for c in caption).split()]


def write_pedes(root: Path, plan: PedesPlan, *, seed: int) -> dict:
    """Write the images and the annotation file of ``plan`` under ``root/plan.folder``; return counts."""
    base = root / plan.folder
    rng = rng_for(seed, plan.dataset, "plan")
    entries: list[dict] = []
    counts: dict[str, dict[str, int]] = {}
    pid = plan.first_id
    for split, n_ids in plan.splits.items():
        images = captions = 0
        for _ in range(n_ids):
            n_images = int(rng.integers(plan.images_per_id[0], plan.images_per_id[1] + 1))
            cams = rng.choice(plan.num_cams, size=n_images, replace=n_images > plan.num_cams)
            for k, cam in enumerate(int(c) for c in cams):
                rel = plan.rel_path(split, pid, cam, k)
                written = write_image(
                    base / "imgs" / rel,
                    seed=seed,
                    dataset=plan.dataset,
                    pid=pid,
                    camid=cam,
                    index=k,
                    n_captions=plan.n_captions,
                )
                entry = {"split": split, "captions": list(written.captions), plan.path_key: rel, "id": pid}
                if plan.tokens:
                    entry["processed_tokens"] = [_tokens(c) for c in written.captions]
                entries.append(entry)
                images += 1
                captions += len(written.captions)
            pid += 1
        counts[split] = {"ids": n_ids, "images": images, "captions": captions}
    put_text(base / plan.annotation, json.dumps(entries, indent=1) + "\n")
    return counts
