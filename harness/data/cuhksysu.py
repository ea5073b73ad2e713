"""CUHK-SYSU re-id crops (Xiao et al., "Joint Detection and Identification Feature Learning for
Person Search", CVPR 2017), used as a training-only source.

Canonical counts (torchreid ``cuhksysu.py`` docstring; ReText seed 001 Table 1): 11,934 ids /
34,574 images, all in one ``train`` split (no query/gallery: the DG code read loads the whole crop
set in every protocol). The official person-search split is not used.

Layouts::

    <root>/cuhksysu/cropped_images/p11422_s16929_1.jpg     (torchreid)
    <root>/cuhk_sysu/cropped_images/...                    (fast-reid, META, ACL, CLIP-FGDI)
    <root>/CUHK-SYSU/cropped_images/...                    (CMDG)
    <root>/CUHK-SYSU/cropped_image/p00001_n01_s00001_hard0.png   (MetaBIN/PAT, made by make_cropped_image.m)

Conventions: pid = the number after ``p``; camid is 0 for every image (the dataset has no camera
ids; torchreid's dummy camera). The MetaBIN crop set is a different extraction: its counts are
⚠ UNVERIFIED, so no canonical figure is checked for that variant.
"""

from __future__ import annotations

import re
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

_NAME = re.compile(r"^p(\d+)_(?:n\d+_)?s(\d+)(?:_.*)?\.(jpg|jpeg|png)$", re.IGNORECASE)


class CUHKSYSU(DatasetReader):
    name: ClassVar[str] = "cuhksysu"
    title: ClassVar[str] = "CUHK-SYSU"
    reference: ClassVar[str] = "Xiao et al., Joint Detection and Identification Feature Learning, CVPR 2017"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("torchreid", "cuhksysu/cropped_images", ()),
        Layout("fast-reid", "cuhk_sysu/cropped_images", ()),
        Layout("cmdg", "CUHK-SYSU/cropped_images", ()),
        Layout("metabin", "CUHK-SYSU/cropped_image", ()),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {"train": SplitCounts(11934, 34574)}
    splits: ClassVar[tuple[str, ...]] = ("train",)

    def expected_counts(self, found: FoundDataset) -> dict[str, SplitCounts]:
        if found.synthetic is None and found.layout.variant == "metabin":
            return {}
        return super().expected_counts(found)

    def parse(self, found: FoundDataset) -> Manifest:
        items = []
        for path in image_files(found.root, suffixes=(".jpg", ".jpeg", ".png")):
            match = _NAME.match(path.name)
            if match is None:
                raise DataError(
                    f"{path}: file name does not match the CUHK-SYSU crop pattern "
                    "'p<pid>_s<scene>_<k>.jpg' or 'p<pid>_n<k>_s<scene>_hard<k>.png'"
                )
            items.append(Item(str(path.resolve()), int(match.group(1)), 0, "train", self.name))
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
