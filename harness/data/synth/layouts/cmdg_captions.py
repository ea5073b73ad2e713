"""CMDG-format caption files for the synthetic world (``captions/cmdg/<name>.json``).

Written for Market-1501 and PRID2011 when those layouts are in the world: one split object, every
image with a global caption and upper/middle/lower-third captions made from its identity's
attributes, with ``file_path`` relative to the dataset folder as in CMDG's files.
"""

from __future__ import annotations

import json
from pathlib import Path

from harness.data.synth.guard import put_text
from harness.data.synth.world import sample_identity

CAPTIONED = {"market1501": ("market1501", "market1501"), "prid2011": ("prid", "prid2011")}


def _captions(seed: int, world: str, pid: int) -> list[str]:
    p = sample_identity(seed, world, abs(pid))
    hair = f"{'long' if p.hair_long else 'short'} {p.hair_colour} hair"
    bag = "no bag" if p.bag == "none" else f"a {p.bag_colour} {p.bag}"
    return [
        f"The person wears a {p.upper_colour} {p.upper_type} and {p.lower_colour} {p.lower_type}, "
        f"with {bag}.",
        f"The upper third of the image shows a person with {hair}.",
        f"The middle third of the image shows a {p.upper_colour} {p.upper_type}.",
        f"The lower third of the image shows {p.lower_colour} {p.lower_type} and {p.shoes} shoes.",
    ]


def write_cmdg_captions(root: Path, *, seed: int, datasets: list[str]) -> list[str]:
    """Write caption files for the captioned datasets among ``datasets``; return their names."""
    from harness.data.registry import get_reader

    written = []
    for dataset, (cmdg_name, world) in CAPTIONED.items():
        if dataset not in datasets:
            continue
        reader = get_reader(dataset)
        found = reader.locate(root)
        manifest = reader.parse(found)
        block: dict[str, list] = {}
        for it in manifest:
            rel = Path(it.path).relative_to(found.root.resolve()).as_posix()
            block.setdefault(it.split, []).append(
                {
                    "id": it.pid,
                    "camid": it.camid,
                    "file_path": f"/{rel}",
                    "caption": "",
                    "captions": _captions(seed, world, it.pid),
                }
            )
        out = root / "captions" / "cmdg" / f"{cmdg_name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        put_text(out, json.dumps([block], indent=1))
        written.append(dataset)
    return written
