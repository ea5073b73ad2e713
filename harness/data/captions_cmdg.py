"""Attach CMDG's per-image captions (Qwen2.5-VL) to a manifest when the user has the files.

CMDG (seed 003; ``xyjun0909/CMDG-ReID:datasets/captions/*.json``) stores, per dataset, a JSON list of
split objects ``{"train": [...], "query": [...], "gallery": [...]}``; each entry is
``{"id", "camid", "file_path", "caption", "captions": [global, upper third, middle third, lower
third]}`` with ``file_path`` relative to the dataset folder (``/single_shot/cam_a/person_0002.png``
for PRID). A file may hold several splits (iLIDS: 10) that list the same images; every entry is
used once per path.

Where the harness looks (first hit wins), for the CMDG name of the dataset (``market1501``,
``msmt17``, ``cuhk03``, ``cuhk02``, ``cuhksysu``, ``grid``, ``prid``, ``viper``, ``ilds``)::

    <data_root>/captions/cmdg/<name>.json
    <dataset folder>/Qwen-all/Qwen2_<name>.json        (where CMDG's own PRID loader looks)

Matching: an entry matches the manifest item whose path ends with the entry's ``file_path``
components. Convention: ``Item.captions = (global,)`` and the region captions go to ``Item.extra``
as ``caption_upper``, ``caption_middle``, ``caption_lower``. Entries that match no image are counted
(``unmatched``) and reported by ``harness data check``. Only the PRID/VIPeR/iLIDS files were public
when this was written; the layout of the others (Market, MSMT17, CUHK02/03, CUHK-SYSU, GRID) and
whether CMDG's CUHK03 file is labeled or detected are ⚠ UNVERIFIED (it is attached to labeled).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from harness.data.manifest import Item, Manifest
from harness.errors import DataError

if TYPE_CHECKING:
    from harness.data.base import FoundDataset

CMDG_NAMES = {
    "market1501": "market1501",
    "msmt17": "msmt17",
    "cuhk03-np-labeled": "cuhk03",
    "cuhk02": "cuhk02",
    "cuhksysu": "cuhksysu",
    "grid": "grid",
    "prid2011": "prid",
    "viper": "viper",
    "ilids": "ilds",
}
REGIONS = ("upper", "middle", "lower")


@dataclass(frozen=True)
class CaptionReport:
    """Which caption file was attached and how well it matched."""

    path: str
    captioned: int
    unmatched: int

    def as_dict(self) -> dict:
        return {"path": self.path, "captioned": self.captioned, "unmatched": self.unmatched}


def caption_file(dataset: str, found: FoundDataset) -> Path | None:
    """The CMDG caption file for ``dataset``, or None."""
    name = CMDG_NAMES.get(dataset)
    if name is None:
        return None
    candidates = [found.root / "Qwen-all" / f"Qwen2_{name}.json"]
    if found.data_root is not None:
        candidates.insert(0, found.data_root / "captions" / "cmdg" / f"{name}.json")
    return next((c for c in candidates if c.is_file()), None)


def _entries(path: Path) -> list[tuple[str, dict]]:
    from harness.data.files import read_user_json

    raw = read_user_json(path, what="CMDG caption file")
    blocks = raw if isinstance(raw, list) else [raw]
    out = []
    for n, block in enumerate(blocks):
        if not isinstance(block, dict):
            raise DataError(f"{path}: split {n} must be an object of train/query/gallery lists")
        for split, entries in block.items():
            if not isinstance(entries, list):
                raise DataError(f"{path}: split {n} '{split}' must be a list of entries")
            for k, entry in enumerate(entries):
                out.append((f"{path} split {n} {split}[{k}]", entry))
    return out


def attach_cmdg_captions(manifest: Manifest, found: FoundDataset) -> tuple[Manifest, CaptionReport | None]:
    """The manifest with CMDG captions attached (unchanged when the dataset has no caption file)."""
    path = caption_file(manifest.name, found)
    if path is None:
        return manifest, None
    index: dict[int, dict[tuple[str, ...], int]] = {}
    by_item: dict[int, tuple[tuple[str, ...], tuple[tuple[str, str], ...]]] = {}
    unmatched = 0
    for where, entry in _entries(path):
        if not isinstance(entry, dict) or not isinstance(entry.get("file_path"), str):
            raise DataError(f"{where}: expected an object with a 'file_path' string")
        caps = entry.get("captions")
        if not (isinstance(caps, list) and len(caps) == 4 and all(isinstance(c, str) for c in caps)):
            raise DataError(f"{where}: 'captions' must be 4 strings [global, upper, middle, lower]")
        parts = PurePosixPath(entry["file_path"].lstrip("/")).parts
        k = len(parts)
        if k not in index:
            index[k] = {tuple(Path(it.path).parts[-k:]): i for i, it in enumerate(manifest)}
        i = index[k].get(parts)
        if i is None:
            unmatched += 1
            continue
        extra = tuple((f"caption_{r}", c) for r, c in sorted(zip(REGIONS, caps[1:], strict=True)))
        by_item.setdefault(i, ((caps[0],), extra))
    items = []
    for i, it in enumerate(manifest):
        if i in by_item:
            caps, extra = by_item[i]
            merged = tuple(sorted({**dict(it.extra), **dict(extra)}.items()))
            items.append(Item(it.path, it.pid, it.camid, it.split, it.dataset, it.captions + caps, merged))
        else:
            items.append(it)
    return Manifest(items, name=manifest.name), CaptionReport(str(path), len(by_item), unmatched)
