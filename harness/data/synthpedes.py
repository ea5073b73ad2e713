"""SYNTH-PEDES (Zuo et al., "PLIP: Language-Image Pre-training for Person Representation
Learning"), single-camera crops with synthetic captions; a training-only source.

Layout (``Zplusdragon/PLIP:README.md``)::

    <root>/SYNTH-PEDES/{Part1..Part11}/<id>/<k>.jpg + synthpedes_dataset.json
    <root>/synthpedes/...   <root>/SYNTH_PEDES/...

The annotation JSON is a list of ``{"id", "file_path", "attributes", "captions",
"prompt_caption"}`` (``file_path`` relative to the dataset folder, 2-3 captions per image).
Totals of about 312k ids / 4.79M images (ReText Table 1: ">4.7M" images, "300K" ids) are ⚠
UNVERIFIED exact figures, so no canonical count is checked.

Conventions: one split ``train``; pid = ``id``; camid 0 (single-camera data); ``captions`` = the
entry's captions; ``attributes`` and ``prompt_caption`` go to the item's ``extra`` fields.
Every listed file must exist (one ``stat`` per image).
"""

from __future__ import annotations

from typing import ClassVar

from harness.data.base import DatasetReader, FoundDataset, Layout, SplitCounts
from harness.data.files import check_unique
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

ANNOTATION = "synthpedes_dataset.json"


def _strings(value, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise DataError(f"{where}: expected a string or a list of strings, found {type(value).__name__}")


class SynthPedes(DatasetReader):
    name: ClassVar[str] = "synthpedes"
    title: ClassVar[str] = "SYNTH-PEDES"
    reference: ClassVar[str] = (
        "Zuo et al., PLIP: Language-Image Pre-training for Person Representation Learning"
    )
    layouts: ClassVar[tuple[Layout, ...]] = (
        Layout("plip", "SYNTH-PEDES", (ANNOTATION,)),
        Layout("lower-case", "synthpedes", (ANNOTATION,)),
        Layout("underscore", "SYNTH_PEDES", (ANNOTATION,)),
    )
    canonical: ClassVar[dict[str, SplitCounts]] = {}
    splits: ClassVar[tuple[str, ...]] = ("train",)

    def parse(self, found: FoundDataset) -> Manifest:
        path = found.root / ANNOTATION
        from harness.data.files import read_user_json

        entries = read_user_json(path, what="the SYNTH-PEDES annotation file")
        if not isinstance(entries, list):
            raise DataError(f"{path}: expected a JSON list of entries, found {type(entries).__name__}")
        items = []
        for n, entry in enumerate(entries):
            where = f"{path} entry {n}"
            if not isinstance(entry, dict) or "id" not in entry or "file_path" not in entry:
                raise DataError(f"{where}: expected an object with 'id' and 'file_path'")
            if not isinstance(entry["id"], int):
                raise DataError(f"{where}: 'id' must be an integer, found {entry['id']!r}")
            image = found.root / str(entry["file_path"])
            if not image.is_file():
                raise DataError(f"{where}: file_path {entry['file_path']!r} but {image} does not exist")
            extra = []
            for key in ("attributes", "prompt_caption"):
                if key in entry:
                    extra.append((key, " || ".join(_strings(entry[key], f"{where} '{key}'"))))
            captions = _strings(entry.get("captions", []), f"{where} 'captions'")
            items.append(
                Item(str(image.resolve()), entry["id"], 0, "train", self.name, captions, tuple(extra))
            )
        if not items:
            raise DataError(f"{path}: empty split 'train', the annotation list has no entries")
        check_unique(items, path)
        return Manifest(items, name=self.name)
