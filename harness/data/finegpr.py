"""FineGPR (Xiang et al., "Less is More: Learning from Synthetic Data with Fine-grained Attributes for
Person Re-Identification", 2021): a synthetic (GTA5) pre-training set, training-only.

DMF (seed 002) pre-trains on FineGPR images and attribute texts, then fine-tunes on real data. The
harness only exports the images as a training manifest (``harness data manifest --protocol cross
--leg D-M --training-option finegpr-pretrain``); it neither pre-trains nor writes DMF's attribute
texts, and no paper cell evaluates a pre-trained-only model.

Canonical counts (``JeremyXSC/FineGPR:README.md``): 1,150 ids, 2,028,600 images, 36 viewpoints.
Not checked: the released archive is a subset, whose counts the README does not give.

Layouts (``JeremyXSC/FineGPR:README.md``)::

    <root>/FineGPR_Dataset/FineGPR/<pid>/<pid>_c01_w01_l01_p01.jpg   (the full set, one folder per id)
    <root>/FineGPR_Dataset/FineGPR_subset/<pid>_c01_w03_l05_p03.jpg   (4 images per id)
    <root>/FineGPR/<pid>/...

Names: person id (4 digits), viewpoint ``cNN`` (1-36, used as the camid, 0-based), weather ``wNN``,
illumination ``lNN``, background ``pNN``.
"""

from __future__ import annotations

import re
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

NUM_VIEWPOINTS = 36
_NAME = re.compile(r"^(\d+)_c(\d+)_w(\d+)_l(\d+)_p(\d+)\.(jpg|png)$", re.IGNORECASE)


class FineGPR(DatasetReader):
    name: ClassVar[str] = "finegpr"
    title: ClassVar[str] = "FineGPR"
    reference: ClassVar[str] = "Xiang et al., Less is More: Learning from Synthetic Data, 2021"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("release", "FineGPR_Dataset/FineGPR", ()),
        Layout("subset", "FineGPR_Dataset/FineGPR_subset", ()),
        Layout("flat", "FineGPR", ()),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {}
    splits: ClassVar[tuple[str, ...]] = ("train",)

    def parse(self, found: FoundDataset) -> Manifest:
        folders = [p for p in sorted(found.root.iterdir()) if p.is_dir()]
        paths = [f for folder in folders for f in image_files(folder)] if folders else image_files(found.root)
        items = []
        for path in paths:
            match = _NAME.match(path.name)
            if match is None:
                raise DataError(
                    f"{path}: file name does not match the FineGPR pattern '<pid>_cNN_wNN_lNN_pNN.jpg'"
                )
            view = int(match.group(2))
            if not 1 <= view <= NUM_VIEWPOINTS:
                raise DataError(f"{path}: viewpoint c{view:02d} is out of range 1..{NUM_VIEWPOINTS}")
            items.append(Item(str(path.resolve()), int(match.group(1)), view - 1, "train", self.name))
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
