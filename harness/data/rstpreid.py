"""RSTPReid (Zhu et al., "DSSL: Deep Surroundings-person Separation Learning for Text-based Person
Retrieval", ACM MM 2021).

Canonical counts: 4,101 identities, 5 images each from 15 cameras, 2 captions per image.
train 3,701 ids / 18,505 images; val 200 ids / 1,000 images; test 200 ids / 1,000 images
(2,000 test captions).

Layout (IRRA)::

    <root>/RSTPReid/imgs/<image files>
    <root>/RSTPReid/data_captions.json

Entries are ``{"split", "captions", "img_path", "id"}``: note the key ``img_path``, not
``file_path``. See :mod:`harness.data.pedes_json` for the manifest conventions (pid = ``id``, camid 0).
"""

from __future__ import annotations

from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.manifest import Manifest
from harness.data.pedes_json import parse_pedes_json

ANNOTATION = "data_captions.json"


class RSTPReid(DatasetReader):
    name: ClassVar[str] = "rstpreid"
    title: ClassVar[str] = "RSTPReid"
    reference: ClassVar[str] = (
        "Zhu et al., DSSL: Deep Surroundings-person Separation Learning for Text-based Person "
        "Retrieval, ACM MM 2021"
    )
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("irra", "RSTPReid", ("imgs", ANNOTATION)),
        Layout("flat", ".", ("imgs", ANNOTATION)),
    )
    splits: ClassVar[tuple[str, ...]] = ("train", "val", "test")
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train": SplitCounts(3701, 18505),
        "val": SplitCounts(200, 1000),
        "test": SplitCounts(200, 1000),
    }

    def parse(self, found: FoundDataset) -> Manifest:
        return parse_pedes_json(
            found.root / ANNOTATION,
            found.root / "imgs",
            dataset=self.name,
            path_key="img_path",
            splits=self.splits,
        )
