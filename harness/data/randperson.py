"""RandPerson (Wang et al., "Surpassing Real-World Source Training Data: Random 3D Characters for
Generalizable Person Re-Identification", ACM MM 2020), the released image subset.

Canonical counts (``VideoObjectSearch/RandPerson:README.md``; ReText seed 001 Table 1): 8,000 ids,
132,145 images, 19 cameras, all in one ``train`` split (a training-only source).

Layouts (QAConv, PAT)::

    <root>/randperson_subset/000000_s00_c00_f000264.jpg
    <root>/RandPerson/randperson_subset/...
    <root>/randperson/randperson_subset/...

Names: person id (6 digits), scene ``sNN`` (0-10), camera within the scene ``cNN``, frame. The
global camid is ``CAMERA_OFFSET[scene] + cam`` with ``CAMERA_OFFSET = [0, 2, 4, 6, 8, 9, 10, 12, 13,
14, 15]`` (QAConv/PAT). The per-scene camera counts implied by 19 cameras are ⚠ UNVERIFIED, so only
the scene range and ``camid < 19`` are checked. pid = the file's person id (loaders relabel in order
of appearance; the harness keeps the original id, which is already unique).
"""

from __future__ import annotations

import re
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

CAMERA_OFFSET = (0, 2, 4, 6, 8, 9, 10, 12, 13, 14, 15)
NUM_CAMS = 19
_NAME = re.compile(r"^(\d+)_s(\d+)_c(\d+)_f(\d+)\.(jpg|png)$", re.IGNORECASE)


class RandPerson(DatasetReader):
    name: ClassVar[str] = "randperson"
    title: ClassVar[str] = "RandPerson (subset)"
    reference: ClassVar[str] = "Wang et al., Surpassing Real-World Source Training Data, ACM MM 2020"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("qaconv", "randperson_subset", ()),
        Layout("upper-case", "RandPerson/randperson_subset", ()),
        Layout("nested", "randperson/randperson_subset", ()),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {"train": SplitCounts(8000, 132145)}
    splits: ClassVar[tuple[str, ...]] = ("train",)

    def parse(self, found: FoundDataset) -> Manifest:
        items = []
        for path in image_files(found.root, suffixes=(".jpg", ".png")):
            match = _NAME.match(path.name)
            if match is None:
                raise DataError(
                    f"{path}: file name does not match the RandPerson pattern "
                    "'<pid>_s<scene>_c<cam>_f<frame>.jpg'"
                )
            scene, cam = int(match.group(2)), int(match.group(3))
            if not 0 <= scene < len(CAMERA_OFFSET):
                raise DataError(f"{path}: scene s{scene:02d} is out of range 0..{len(CAMERA_OFFSET) - 1}")
            camid = CAMERA_OFFSET[scene] + cam
            if camid >= NUM_CAMS:
                raise DataError(
                    f"{path}: camera c{cam:02d} of scene s{scene:02d} gives camid {camid}, outside 0..18"
                )
            items.append(Item(str(path.resolve()), int(match.group(1)), camid, "train", self.name))
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
