"""Market-1501 (Zheng et al., "Scalable Person Re-identification: A Benchmark", ICCV 2015).

Canonical counts: 1,501 identities (+ the 0000 distractor class) from 6 cameras.
train 751 ids / 12,936 images; query 750 ids / 3,368 images; gallery 751 ids / 15,913 images
(750 test ids + pid 0 distractors; junk pid -1 images excluded).

Layout (torchreid / fast-reid / CMDG variants accepted)::

    <root>/market1501/Market-1501-v15.09.15/{bounding_box_train,query,bounding_box_test}
    <root>/Market-1501-v15.09.15/...        <root>/market1501/...

File names ``0002_c1s1_000451_03.jpg``: pid, camera (1-6) and sequence, frame, box index.
Conventions: pid -1 (junk) is dropped; pid 0 (distractor) is kept in the gallery with pid 0 and is
never a training identity; camid is 0-based (``c1`` -> 0).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

_NAME = re.compile(r"^(-?\d+)_c(\d)s?\d*_.*\.(jpg|jpeg|png)$", re.IGNORECASE)
_FOLDERS = {"train": "bounding_box_train", "query": "query", "gallery": "bounding_box_test"}
_REQUIRED = tuple(_FOLDERS.values())


def parse_market_name(path: Path, *, num_cams: int) -> tuple[int, int] | None:
    """(pid, 0-based camid) from a Market-style file name; None for non-image files.

    Raises:
        DataError: an image whose name does not follow the pattern or whose camera is out of range.
    """
    if path.suffix.lower() not in {".jpg", ".jpeg", ".png"}:
        return None
    match = _NAME.match(path.name)
    if match is None:
        raise DataError(f"{path}: file name does not match the Market pattern '<pid>_c<cam>s<seq>_..'")
    pid, cam = int(match.group(1)), int(match.group(2))
    if not 1 <= cam <= num_cams:
        raise DataError(f"{path}: camera c{cam} is out of range 1..{num_cams}")
    return pid, cam - 1


class Market1501(DatasetReader):
    name: ClassVar[str] = "market1501"
    title: ClassVar[str] = "Market-1501"
    reference: ClassVar[str] = "Zheng et al., Scalable Person Re-identification: A Benchmark, ICCV 2015"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("torchreid", "market1501/Market-1501-v15.09.15", _REQUIRED),
        Layout("fast-reid", "Market-1501-v15.09.15", _REQUIRED),
        Layout("cmdg", "market1501", _REQUIRED),
        Layout("flat", ".", _REQUIRED),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train": SplitCounts(751, 12936),
        "query": SplitCounts(750, 3368),
        "gallery": SplitCounts(751, 15913),
    }
    num_cams: ClassVar[int] = 6

    train_excluded_pids: ClassVar[frozenset[int]] = frozenset({0})

    def parse(self, found: FoundDataset) -> Manifest:
        return read_market_folders(found.root, dataset=self.name, num_cams=self.num_cams)


def read_market_folders(
    root: Path,
    *,
    dataset: str,
    num_cams: int,
    folders: dict[str, str] = _FOLDERS,
    distractor_pid: int | None = 0,
) -> Manifest:
    """Parse a Market-style dataset (one folder per split, ``<pid>_c<cam>...`` names).

    pid -1 (junk) is dropped; ``distractor_pid`` (Market's 0000) is kept but may only appear in the
    gallery folder. Raises :class:`DataError` for an empty or missing folder, a bad name, a camera
    outside ``1..num_cams`` or a file found twice.
    """
    items: list[Item] = []
    for split, folder in folders.items():
        for path in image_files(root / folder, suffixes=(".jpg", ".jpeg", ".png")):
            parsed = parse_market_name(path, num_cams=num_cams)
            if parsed is None:
                continue
            pid, camid = parsed
            if pid == -1:
                continue  # junk
            if distractor_pid is not None and pid == distractor_pid and split != "gallery":
                raise DataError(
                    f"{path}: distractor pid {distractor_pid:04d} may only appear in {folders['gallery']}"
                )
            items.append(Item(str(path.resolve()), pid, camid, split, dataset))
    check_unique(items, root)
    return Manifest(items, name=dataset)
