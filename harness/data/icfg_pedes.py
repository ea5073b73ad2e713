"""ICFG-PEDES (Ding et al., "Semantically Self-Aligned Network for Text-to-Image Part-aware Person
Re-identification", arXiv 2107.12666).

Canonical counts (IRRA's docstring: 4,102 identities; 34,674 train + 4,855 "query" + 14,993
"gallery" images; the text-to-image test set is all 19,848 test images): train 3,102 ids / 34,674
images; test 1,000 ids / 19,848 images. One caption per image (not verified against the release).

Layout (IRRA code; its README spells the file ``ICFG_PEDES.json``, which is accepted too)::

    <root>/ICFG-PEDES/imgs/{train,test}/...
    <root>/ICFG-PEDES/ICFG-PEDES.json

Entries are ``{"split", "captions", "file_path", "id"}`` with ``file_path`` relative to ``imgs/``.
See :mod:`harness.data.pedes_json` for the manifest conventions (pid = ``id``, camid 0).
"""

from __future__ import annotations

from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.manifest import Manifest
from harness.data.pedes_json import parse_pedes_json

ANNOTATION = "ICFG-PEDES.json"
README_ANNOTATION = "ICFG_PEDES.json"


class ICFGPEDES(DatasetReader):
    name: ClassVar[str] = "icfg-pedes"
    title: ClassVar[str] = "ICFG-PEDES"
    reference: ClassVar[str] = (
        "Ding et al., Semantically Self-Aligned Network for Text-to-Image Part-aware Person "
        "Re-identification, arXiv 2107.12666"
    )
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("irra", "ICFG-PEDES", ("imgs", ANNOTATION)),
        Layout("irra-readme", "ICFG-PEDES", ("imgs", README_ANNOTATION)),
        Layout("flat", ".", ("imgs", ANNOTATION)),
    )
    splits: ClassVar[tuple[str, ...]] = ("train", "test")
    canonical: ClassVar[dict[str, SplitCounts]] = {
        "train": SplitCounts(3102, 34674),
        "test": SplitCounts(1000, 19848),
    }

    def parse(self, found: FoundDataset) -> Manifest:
        return parse_pedes_json(
            found.root / found.layout.required[1],
            found.root / "imgs",
            dataset=self.name,
            path_key="file_path",
            splits=self.splits,
        )
