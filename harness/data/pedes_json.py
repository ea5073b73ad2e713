"""The annotation-file parser shared by the text-to-image datasets (CUHK-PEDES, ICFG-PEDES, RSTPReid).

All three ship one JSON list with an entry per image, as read by IRRA's loaders
(``anosorae/IRRA:datasets/{cuhkpedes,icfgpedes,rstpreid}.py``)::

    {"split": "train" | "val" | "test", "captions": ["...", ...], "<path key>": "rel/path.jpg", "id": 12}

The path key is ``file_path`` (CUHK-PEDES, ICFG-PEDES) or ``img_path`` (RSTPReid) and is relative to
the dataset's ``imgs/`` folder. Conventions of the manifest this produces:

* one :class:`Item` per entry, in file order, its captions in the entry's order (IRRA makes each
  caption one query, in this order);
* ``pid`` is the entry's ``id`` unchanged (CUHK-PEDES ids are 1-based; IRRA subtracts 1 for
  training only, a relabelling the harness does not need);
* ``camid`` is 0 for every image: the annotation files carry no camera, and text-to-image evaluation
  applies no camera rule;
* ``split`` is the entry's split; names other than the reader's allowed ones are an error (IRRA
  silently treats them as ``val``);
* the image path must stay inside ``imgs/`` (no absolute path, no ``..`` out of it: refused, naming
  the entry), and ``id`` must lie within ``-2**53..2**53``.

Every problem names the annotation file and the entry index.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.data.files import contained, read_user_json
from harness.data.manifest import Item, Manifest
from harness.errors import DataError

MAX_ID = 2**53  # the largest integer every JSON reader keeps exactly


def parse_pedes_json(
    annotation: Path,
    image_dir: Path,
    *,
    dataset: str,
    path_key: str,
    splits: Iterable[str] = ("train", "val", "test"),
    check_images: bool = True,
) -> Manifest:
    """Parse one text-to-image annotation file into a manifest (see the module docstring).

    Raises:
        DataError: unreadable JSON, a non-list top level, an entry without one of ``split``,
            ``captions``, ``path_key``, ``id``, a bad split name, captions that are not a non-empty
            list of strings, a non-integer id, or (with ``check_images``) a missing image file.
    """
    allowed = tuple(splits)
    raw = read_user_json(Path(annotation), what="annotation file")
    if not isinstance(raw, list):
        raise DataError(f"{annotation}: expected a JSON list of entries, found {type(raw).__name__}")
    required = ("split", "captions", path_key, "id")
    items: list[Item] = []
    for index, entry in enumerate(raw):
        where = f"{annotation}: entry {index}"
        if not isinstance(entry, dict):
            raise DataError(f"{where} is a {type(entry).__name__}, expected an object")
        missing = [key for key in required if key not in entry]
        if missing:
            raise DataError(
                f"{where} has no {', '.join(repr(k) for k in missing)} field "
                f"(each entry needs {', '.join(required)})"
            )
        split = entry["split"]
        if split not in allowed:
            raise DataError(f"{where}: split {split!r} is not one of {', '.join(allowed)}")
        captions = entry["captions"]
        if (
            not isinstance(captions, list)
            or not captions
            or not all(isinstance(c, str) and c.strip() for c in captions)
        ):
            raise DataError(f"{where}: 'captions' must be a non-empty list of non-empty strings")
        pid = entry["id"]
        if isinstance(pid, bool) or not isinstance(pid, int):
            if isinstance(pid, str) and pid.strip().lstrip("-").isdigit():
                pid = int(pid)
            else:
                raise DataError(f"{where}: 'id' must be an integer, got {str(pid)[:40]!r}")
        if not -MAX_ID <= pid <= MAX_ID:
            raise DataError(f"{where}: 'id' {str(pid)[:40]} is outside -2**53..2**53")
        rel = entry[path_key]
        if not isinstance(rel, str) or not rel:
            raise DataError(f"{where}: {path_key!r} must be a relative image path, got {rel!r}")
        path = contained(Path(image_dir), rel, where=f"{where} ({path_key})").resolve()
        if check_images and not path.is_file():
            raise DataError(f"{where}: image {rel!r} ({path_key}) does not exist under {image_dir}")
        items.append(
            Item(str(path), int(pid), 0, split, dataset, captions=tuple(c.strip() for c in captions))
        )
    return Manifest(items, name=dataset)
