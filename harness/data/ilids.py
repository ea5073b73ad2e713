"""QMUL iLIDS (Zheng et al., "Associating Groups of People", BMVC 2009) -- the image set, not
iLIDS-VID.

Canonical counts (torchreid ``ilids.py``, asserted there): 119 ids, 476 images.

Layouts::

    <root>/ilids/i-LIDS_Pedestrian/Persons/0001001.jpg   (torchreid)
    <root>/QMUL-iLIDS/images/...                          (MetaBIN, PAT, CMDG)
    <root>/iLIDS/Persons/...                              (CLIP-FGDI)

Names are 7 digits ``PPPPSSS.jpg``: pid = ``int(name[:4])``, camid = ``int(name[4:7]) - 1``. The
"camera" is really the image's index within its person (torchreid's convention), so the
same-camera junk rule never removes a query's only true match. One split, ``all``. Trials
(``harness/data/splits/ilids.json``): 59 training ids, 60 test ids; for each test id one query and
one gallery image are picked by the trial's stored fractions over that id's images in file-name
order (so the choice is reproducible on any copy with the same files). The real pid range (1-119)
is ⚠ UNVERIFIED; the split file names ids and the harness checks them against the disk.
"""

from __future__ import annotations

import re
from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique, image_files
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

_NAME = re.compile(r"^(\d{4})(\d{3})\.jpg$", re.IGNORECASE)


class QMULiLIDS(DatasetReader):
    name: ClassVar[str] = "ilids"
    title: ClassVar[str] = "QMUL iLIDS"
    reference: ClassVar[str] = "Zheng et al., Associating Groups of People, BMVC 2009"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("torchreid", "ilids/i-LIDS_Pedestrian/Persons", ()),
        Layout("metabin", "QMUL-iLIDS/images", ()),
        Layout("clip-fgdi", "iLIDS/Persons", ()),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {"all": SplitCounts(119, 476)}
    splits: ClassVar[tuple[str, ...]] = ("all",)

    def parse(self, found: FoundDataset) -> Manifest:
        items = []
        for path in image_files(found.root, suffixes=(".jpg",)):
            match = _NAME.match(path.name)
            if match is None:
                raise DataError(
                    f"{path}: file name does not match the iLIDS pattern 'PPPPSSS.jpg' (7 digits)"
                )
            seq = int(match.group(2))
            if seq < 1:
                raise DataError(f"{path}: image index {seq:03d} is out of range (1-based)")
            items.append(Item(str(path.resolve()), int(match.group(1)), seq - 1, "all", self.name))
        check_unique(items, found.root)
        return Manifest(items, name=self.name)
