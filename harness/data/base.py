"""Dataset readers: the common base class and count validation.

A reader knows one dataset's real on-disk layout(s). It finds the dataset under a data root
(accepting the layout variants that public loaders use), parses it into a :class:`Manifest`, and
compares what it found with the dataset's canonical counts. On a synthetic world (written by
``harness data synth``) the canonical counts are replaced by the counts the generator recorded in
its marker file, so the same validation runs in tests.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from harness.data.manifest import Manifest
from harness.errors import DataError

log = logging.getLogger(__name__)

SYNTH_MARKER = "harness-synthetic.json"


@dataclass(frozen=True)
class SplitCounts:
    """Canonical size of one split: identities and images (None where no verified figure exists)."""

    ids: int | None
    images: int | None


@dataclass(frozen=True)
class Layout:
    """One accepted on-disk variant: a path relative to the data root and the entries it must hold."""

    variant: str
    relpath: str
    required: tuple[str, ...]
    fallback: bool = False
    """Read only when no other layout is complete (never reported as a second copy beside one)."""


@dataclass(frozen=True)
class FoundDataset:
    """Where a dataset was found and which layout variant matched.

    ``data_root`` is the folder the search started from (caption files and the synthetic world's
    marker live there).
    """

    root: Path
    layout: Layout
    synthetic: dict | None = None
    data_root: Path | None = None
    also_found: tuple[str, ...] = ()
    """Other complete layouts of the same dataset under ``data_root``, present but not read."""


@dataclass(frozen=True)
class CountCheck:
    split: str
    expected: SplitCounts | None
    found: SplitCounts

    @property
    def ok(self) -> bool:
        if self.expected is None:
            return True
        ids_ok = self.expected.ids is None or self.expected.ids == self.found.ids
        images_ok = self.expected.images is None or self.expected.images == self.found.images
        return ids_ok and images_ok


def _plain(value: int | None) -> str:
    return "?" if value is None else str(value)


def _cell(value: int | None) -> str:
    return "?" if value is None else f"{value:,}"


def count_table(checks: list[CountCheck]) -> str:
    """A plain-text table of expected vs found ids/images per split (``?`` = no canonical figure)."""
    rows = [("split", "expected ids", "found ids", "expected images", "found images", "")]
    for c in checks:
        exp = c.expected or SplitCounts(None, None)
        rows.append(
            (
                c.split,
                _cell(exp.ids),
                _cell(c.found.ids),
                _cell(exp.images),
                _cell(c.found.images),
                "ok" if c.ok else "MISMATCH",
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  " + "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


@dataclass
class DatasetRead:
    """A parsed dataset: the manifest, where it came from and the count checks."""

    manifest: Manifest
    found: FoundDataset
    checks: list[CountCheck]
    captions: dict | None = None
    """The caption file an enrichment step attached (``path``, ``captioned``, ``unmatched``), if any
    (:func:`harness.data.captions.with_captions`); a reader alone never sets it."""

    @property
    def counts_ok(self) -> bool:
        return all(c.ok for c in self.checks)

    @property
    def synthetic(self) -> bool:
        return self.found.synthetic is not None

    @property
    def notes(self) -> list[str]:
        """Notes for the result record (two layouts present at once)."""
        if not self.found.also_found:
            return []
        return [
            f"{self.manifest.name}: read {self.found.root} (layout {self.found.layout.variant}); also "
            f"present and not read: {', '.join(self.found.also_found)} (the first layout in the "
            "documented order wins; remove or rename the other copy to silence this)"
        ]


def read_synth_marker(data_root: Path) -> dict | None:
    """The synthetic world's marker at ``data_root`` (or None for real data)."""
    from harness.data.files import read_user_json

    marker = data_root / SYNTH_MARKER
    if not marker.exists() and not marker.is_symlink():
        return None
    content = read_user_json(marker, what="synthetic-world marker")
    datasets = content.get("datasets", {}) if isinstance(content, dict) else None
    if not isinstance(datasets, dict) or not all(isinstance(v, dict) for v in datasets.values()):
        raise DataError(
            f"{marker}: unreadable synthetic-world marker (expected an object whose 'datasets' maps "
            "names to objects); regenerate it with `harness data synth` or remove it"
        )
    return content


class DatasetReader(ABC):
    """Base class of one dataset's reader (one small file per dataset, like torchreid)."""

    name: ClassVar[str]
    title: ClassVar[str]
    reference: ClassVar[str]
    layouts: ClassVar[tuple[Layout, ...]]
    canonical: ClassVar[dict[str, SplitCounts]]
    """Canonical counts per split; a key ``"a+b"`` is checked against the union of splits a and b."""
    splits: ClassVar[tuple[str, ...]] = ("train", "query", "gallery")
    """The split names this reader produces (protocol files may only name these)."""
    train_excluded_pids: ClassVar[frozenset[int]] = frozenset()
    """Original pids that are never training identities (distractor classes such as Market's 0)."""
    withdrawn: ClassVar[bool] = False

    def locate(self, data_root: Path) -> FoundDataset:
        """Find the dataset under ``data_root``; the first layout variant whose entries exist wins.

        When other layouts are complete too (two copies), the first still wins, and the others are
        listed in ``also_found``: a logged warning and a note in the result record name them.
        """
        tried, complete = [], []
        for layout in self.layouts:
            base = data_root / layout.relpath
            if not base.is_dir():
                tried.append(f"{base} (no such folder)")
                continue
            missing = [r for r in layout.required if not (base / r).exists()]
            if not missing:
                if not complete or complete[0][0].resolve() != base.resolve():
                    complete.append((base, layout))
                continue
            tried.append(f"{base} (missing {', '.join(missing)})")
        if any(not lay.fallback for _, lay in complete):
            complete = [(b, lay) for b, lay in complete if not lay.fallback]
        if complete:
            (base, layout), others = complete[0], complete[1:]
            also = tuple(f"{b} (layout {lay.variant})" for b, lay in others)
            if also:
                log.warning(
                    "%s: two layouts under %s; reading %s (layout %s), not %s",
                    self.title,
                    data_root,
                    base,
                    layout.variant,
                    ", ".join(also),
                )
            marker = read_synth_marker(data_root)
            synthetic = marker if marker and self.name in marker.get("datasets", {}) else None
            return FoundDataset(
                root=base, layout=layout, synthetic=synthetic, data_root=data_root, also_found=also
            )
        raise DataError(f"{self.title} not found under {data_root}; looked for:\n  " + "\n  ".join(tried))

    @abstractmethod
    def parse(self, found: FoundDataset) -> Manifest:
        """Parse the located dataset into a manifest (readers raise DataError naming the bad file)."""

    def official_splits(self, found: FoundDataset):
        """Trial splits the dataset itself ships (e.g. GRID's partition file), or None.

        When present on disk they take precedence over the harness's frozen split file.
        """
        return None

    def expected_counts(self, found: FoundDataset) -> dict[str, SplitCounts]:
        if found.synthetic is not None:
            recorded = found.synthetic["datasets"][self.name]["counts"]
            return {s: SplitCounts(ids=c["ids"], images=c["images"]) for s, c in recorded.items()}
        return dict(self.canonical)

    def check_counts(self, manifest: Manifest, found: FoundDataset) -> list[CountCheck]:
        expected = self.expected_counts(found)
        checks = []
        for split in dict.fromkeys([*self.splits, *expected, *manifest.splits()]):
            part = manifest.select(*split.split("+"))
            checks.append(CountCheck(split, expected.get(split), SplitCounts(part.num_ids, len(part))))
        return checks

    def read(self, data_root: Path, *, strict: bool = False) -> DatasetRead:
        """Locate, parse and validate counts; a mismatch warns, or raises under ``strict``."""
        found = self.locate(Path(data_root))
        manifest = self.parse(found)
        if len(manifest) == 0:
            raise DataError(f"{self.title} at {found.root}: no images found")
        checks = self.check_counts(manifest, found)
        bad = [c for c in checks if not c.ok]
        if bad:
            reference = (
                "the synthetic world's marker" if found.synthetic is not None else "the canonical ones"
            )
            lines = "; ".join(
                f"{c.split}: expected {_plain(c.expected.images)} images/{_plain(c.expected.ids)} ids, "
                f"found {c.found.images}/{c.found.ids}"
                for c in bad
                if c.expected is not None
            )
            message = (
                f"{self.title} at {found.root} (layout {found.layout.variant}): counts differ from "
                f"{reference} ({lines})\n{count_table(checks)}"
            )
            if strict:
                raise DataError(message)
            log.warning(message)
        if self.withdrawn:
            log.warning(
                "%s has been withdrawn by its authors; results on it are for comparison only", self.title
            )
        return DatasetRead(
            manifest=manifest,
            found=found,
            checks=checks,
        )
