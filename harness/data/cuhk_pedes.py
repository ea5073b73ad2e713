"""CUHK-PEDES (Li et al., "Person Search with Natural Language Description", CVPR 2017).

Canonical counts (IRRA's docstring; split sizes from the dataset's public README): 13,003 identities,
40,206 images, about 2 captions per image (80,412 captions; 80,440 in another count).
train 11,003 ids / 34,054 images; val 1,000 ids / 3,078 images; test 1,000 ids / 3,074 images
(6,156 test captions: DGCMIA supplementary, Table 3).

Layout (IRRA)::

    <root>/CUHK-PEDES/imgs/{cam_a,cam_b,CUHK01,CUHK03,Market,test_query,train_query}/...
    <root>/CUHK-PEDES/reid_raw.json

``reid_raw.json`` is a list of ``{"split", "captions", "file_path", "processed_tokens", "id"}``;
``file_path`` is relative to ``imgs/`` and ``id`` is 1-based. See :mod:`harness.data.pedes_json`
for the manifest conventions (pid = ``id``, camid 0, splits train/val/test).
"""

from __future__ import annotations

from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.manifest import Manifest
from harness.data.pedes_json import parse_pedes_json

ANNOTATION = "reid_raw.json"


class CUHKPEDES(DatasetReader):
    name: ClassVar[str] = "cuhk-pedes"
    title: ClassVar[str] = "CUHK-PEDES"
    reference: ClassVar[str] = "Li et al., Person Search with Natural Language Description, CVPR 2017"
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("irra", "CUHK-PEDES", ("imgs", ANNOTATION)),
        Layout("flat", ".", ("imgs", ANNOTATION)),
    )
    splits: ClassVar[tuple[str, ...]] = ("train", "val", "test")
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train": SplitCounts(11003, 34054),
        "val": SplitCounts(1000, 3078),
        "test": SplitCounts(1000, 3074),
    }

    def parse(self, found: FoundDataset) -> Manifest:
        return parse_pedes_json(
            found.root / ANNOTATION,
            found.root / "imgs",
            dataset=self.name,
            path_key="file_path",
            splits=self.splits,
        )
