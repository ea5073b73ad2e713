"""PRID2011, single-shot (Hirzer et al., "Person Re-Identification by Descriptive and
Discriminative Classification", SCIA 2011).

Canonical counts (torchreid ``prid.py`` docstring): camera A 385 ids, camera B 749 ids, one image
per id per camera (1,134 images, 934 people); ids 1-200 appear in both cameras.

Layouts::

    <root>/prid2011/prid_2011/single_shot/{cam_a,cam_b}/person_0001.png   (torchreid)
    <root>/prid_2011/single_shot/...                                     (MetaBIN, PAT, CMDG)
    <root>/PRID2011/single_shot/...

Conventions: splits are the on-disk cameras ``cam_a`` and ``cam_b`` (camid 0 and 1); pid = the
number in ``person_NNNN``. Query/gallery come from the frozen single-shot trials
(``harness/data/splits/prid2011.json``): query = the cam-A image of each of the 100 test ids,
gallery = every cam-B image whose id is not a training id of the trial (100 true matches + 549
distractors, ids 201-749) = 649.
"""

from __future__ import annotations

import re
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

_NAME = re.compile(r"^person_(\d{4})\.png$")
_REQUIRED = ("single_shot/cam_a", "single_shot/cam_b")


class PRID2011(DatasetReader):
    name: ClassVar[str] = "prid2011"
    title: ClassVar[str] = "PRID2011 (single-shot)"
    reference: ClassVar[str] = (
        "Hirzer et al., Person Re-Identification by Descriptive and Discriminative Classification, SCIA 2011"
    )
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("torchreid", "prid2011/prid_2011", _REQUIRED),
        Layout("metabin", "prid_2011", _REQUIRED),
        Layout("upper-case", "PRID2011", _REQUIRED),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "cam_a": SplitCounts(385, 385),
        "cam_b": SplitCounts(749, 749),
    }
    splits: ClassVar[tuple[str, ...]] = ("cam_a", "cam_b")

    def parse(self, found: FoundDataset) -> Manifest:
        items = []
        for camid, cam in enumerate(("cam_a", "cam_b")):
            for path in image_files(found.root / "single_shot" / cam, suffixes=(".png",)):
                match = _NAME.match(path.name)
                if match is None:
                    raise DataError(f"{path}: file name does not match the PRID pattern 'person_NNNN.png'")
                items.append(Item(str(path.resolve()), int(match.group(1)), camid, cam, self.name))
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
