"""CUHK02 (Li and Wang, "Locally Aligned Feature Transforms across Views", CVPR 2013).

Canonical counts (torchreid ``cuhk02.py`` docstring): 1,816 ids in five camera pairs P1-P5 holding
971 / 306 / 107 / 193 / 239 ids, so ``train`` (P1-P4) has 1,577 ids and the P5 ``query`` (cam1) and
``gallery`` (cam2) have 239 ids each. The 7,264-image total (4 per id) comes from a secondary
table (⚠ UNVERIFIED), so image counts are not checked.

Layouts::

    <root>/cuhk02/Dataset/P1..P5/{cam1,cam2}/*.png   (torchreid)
    <root>/cuhk02/P1..P5/{cam1,cam2}/*.png           (MetaBIN, PAT, CMDG)
    <root>/CUHK02/P1..P5/...

Conventions: the id is the file-name prefix before the first ``_``; it is unique only inside a
camera pair, so the (pair, prefix) keys are sorted and numbered 1..N in that order (pid); camid =
``2 * (pair - 1) + (cam - 1)``, i.e. 0..9. Splits follow torchreid: ``train`` = P1-P4 (both cameras),
``query`` = P5 cam1, ``gallery`` = P5 cam2; DG Protocol-1 uses all three splits as training data.
"""

from __future__ import annotations

from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

PAIRS = ("P1", "P2", "P3", "P4", "P5")
_REQUIRED = tuple(f"{p}/{c}" for p in PAIRS for c in ("cam1", "cam2"))


class CUHK02(DatasetReader):
    name: ClassVar[str] = "cuhk02"
    title: ClassVar[str] = "CUHK02"
    reference: ClassVar[str] = "Li and Wang, Locally Aligned Feature Transforms across Views, CVPR 2013"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("torchreid", "cuhk02/Dataset", _REQUIRED),
        Layout("metabin", "cuhk02", _REQUIRED),
        Layout("upper-case", "CUHK02", _REQUIRED),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train": SplitCounts(1577, None),
        "query": SplitCounts(239, None),
        "gallery": SplitCounts(239, None),
        "train+query+gallery": SplitCounts(1816, None),
    }

    def parse(self, found: FoundDataset) -> Manifest:
        raw = []
        for p, pair in enumerate(PAIRS, start=1):
            for c, cam in enumerate(("cam1", "cam2"), start=1):
                for path in image_files(found.root / pair / cam, suffixes=(".png", ".jpg", ".bmp")):
                    prefix = path.name.split("_", 1)[0]
                    if "_" not in path.name or not prefix:
                        raise DataError(f"{path}: file name does not match the CUHK02 pattern '<id>_<k>.png'")
                    split = ("query" if cam == "cam1" else "gallery") if pair == "P5" else "train"
                    raw.append((path, (p, prefix), 2 * (p - 1) + (c - 1), split))
        labels = {key: n for n, key in enumerate(sorted({key for _, key, _, _ in raw}), start=1)}
        items = [
            Item(str(path.resolve()), labels[key], camid, split, self.name) for path, key, camid, split in raw
        ]
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
