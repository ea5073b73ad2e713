"""The names the reported-numbers files use, resolved through the harness registries.

A reported CSV never invents a name: a dataset is a dataset-registry name, a protocol a
protocol-registry name, a metric a metric-registry name (or one of the paper-only metrics below).
Two kinds of dataset reference say more than a name:

- ``a|b``: the paper's name does not say which of the registry datasets it means (ReText's
  "CUHK03-NP" without the box type); any of them may fill the cell. Every such reference needs a
  reason in the paper's ``ambiguous`` block (``paper.yaml``), printed under the table.
- ``name[parts]``: the source contributes these parts (``msmt17[train;val]``; ``msmt17[all]``
  means train, query and gallery and whatever else the dataset has: "MSMT17-merged",
  "MSMT17_all", "MSMT (all)"). Without parts, any parts match.

Statistics tables may name a protocol as the target (``jmcm``: DTTA's joint training set).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import RegistryError, ResultError

ALL_PARTS = "all"
FULL_SET = frozenset({"train", "query", "gallery"})
"""Parts that make a source ``[all]``: its train split plus its test split (any extra part, e.g. val)."""

AVERAGE_TARGET = "average"

PAPER_ONLY_METRICS: dict[str, str] = {
    "delta_R1": "a printed difference between two methods (derived, never measured)",
    "delta_mAP": "a printed difference between two methods (derived, never measured)",
    "params_M": "parameters in millions (a record's cost block, `harness run --profile`)",
    "gflops": "GFLOPs per image (+ caption) as the paper counts them: multiply-adds (a record's cost "
    "block, `harness run --profile`, whose FLOPs count 2 per multiply-add, halved)",
    "inference_time": "seconds, as the table defines it (a record's cost block, `harness run --profile`)",
    "num_ids": "identities in a split (dataset statistics, not a run)",
    "num_images": "images in a split (dataset statistics, not a run)",
}
"""Metrics of printed tables that are not retrieval metrics of the metric registry."""


@dataclass(frozen=True, slots=True)
class DatasetRef:
    """One dataset reference of a reported line: registry names it may mean, and the parts used."""

    names: tuple[str, ...]
    parts: frozenset[str] | None = None
    """None: any parts; ``FULL_SET`` (from ``[all]``): parts including train, query and gallery."""
    full: bool = False

    @property
    def ambiguous(self) -> bool:
        return len(self.names) > 1

    def accepts(self, dataset: str, parts: tuple[str, ...] | list[str]) -> bool:
        """Whether a protocol leg's source (registry dataset name, parts) is what this reference means."""
        if dataset not in self.names:
            return False
        if self.full:
            return set(parts) >= FULL_SET
        return self.parts is None or self.parts == frozenset(parts)

    def __str__(self) -> str:
        text = "|".join(self.names)
        if self.full:
            return f"{text}[{ALL_PARTS}]"
        return f"{text}[{';'.join(sorted(self.parts))}]" if self.parts else text


def canonical_dataset(name: str, where: str = "") -> str:
    """The dataset registry's own name for ``name``; only canonical names are accepted in the data."""
    from harness.data.registry import DATASETS
    from harness.registry import suggest

    try:
        canonical = DATASETS.canonical(name)
    except RegistryError:
        canonical = None
    if canonical != name:
        hint = f" (the registry name is {canonical!r})" if canonical else suggest(name, DATASETS.names())
        raise ResultError(f"{where}unknown dataset {name!r}{hint}: use dataset-registry names")
    return name


def parse_dataset(token: str, where: str = "") -> DatasetRef:
    """``market1501``, ``cuhk03-np-labeled|cuhk03-np-detected``, ``msmt17[all]``, ``msmt17[train;val]``."""
    text = token.strip()
    parts: frozenset[str] | None = None
    full = False
    if text.endswith("]") and "[" in text:
        text, _, inner = text[:-1].partition("[")
        if inner == ALL_PARTS:
            full = True
        else:
            parts = frozenset(p for p in inner.split(";") if p)
            if not parts:
                raise ResultError(f"{where}empty parts in {token!r}: write name[train;val] or name[all]")
    names = tuple(canonical_dataset(n, where) for n in text.split("|"))
    if len(set(names)) != len(names):
        raise ResultError(f"{where}repeated alternative in {token!r}")
    return DatasetRef(names, parts, full)


def parse_training_set(text: str, where: str = "") -> tuple[DatasetRef, ...]:
    """The ``+``-joined sources of a ``training_set`` field (empty for Average and statistics lines)."""
    return tuple(parse_dataset(t, where) for t in text.split("+")) if text else ()


def parse_target(text: str, *, statistics: bool, where: str = "") -> DatasetRef | None:
    """The ``target`` field: a dataset reference, ``average`` (None), or in statistics tables a protocol
    whose joint training set the line describes (``jmcm``; returned as a one-name reference)."""
    if text == AVERAGE_TARGET:
        return None
    if statistics and "|" not in text and "[" not in text:
        from harness.protocols.registry import PROTOCOLS

        if text in PROTOCOLS.names():
            return DatasetRef((text,))
    return parse_dataset(text, where)


def check_protocol(name: str, where: str = "") -> str:
    """``name`` when it is a protocol-registry name (not an alias), else a ResultError."""
    from harness.protocols.registry import PROTOCOLS
    from harness.registry import suggest

    if name in PROTOCOLS.names():
        return name
    try:
        hint = f" (the registry name is {PROTOCOLS.canonical(name)!r})"
    except RegistryError:
        hint = suggest(name, PROTOCOLS.names())
    raise ResultError(f"{where}unknown protocol {name!r}{hint}: use protocol-registry names")


def check_metric(name: str, where: str = "") -> str:
    """``name`` when it is a metric-registry name or a declared paper-only metric, else a ResultError."""
    from harness.metrics.registry import METRICS
    from harness.registry import suggest

    if name in PAPER_ONLY_METRICS or name in METRICS.names():
        return name
    known = [*METRICS.names(), *PAPER_ONLY_METRICS]
    raise ResultError(f"{where}unknown metric {name!r}.{suggest(name, known)}")


def dataset_label(name: str) -> str:
    """The dataset registry's display title of ``name`` (``CUHK03-NP (detected)``)."""
    from harness.data.registry import DATASETS

    return DATASETS.get(name).title


def reference_label(token: str) -> str:
    """Display text of a reported dataset reference: ``msmt17[all]`` -> ``MSMT17 (all parts)``,
    ``cuhk03-np-labeled|cuhk03-np-detected`` -> ``CUHK03-NP (labeled) or CUHK03-NP (detected)``."""
    if token == AVERAGE_TARGET:
        return "Average"
    ref = parse_dataset(token)
    text = " or ".join(dataset_label(n) for n in ref.names)
    if ref.full:
        return f"{text} (all parts)"
    return f"{text} ({'+'.join(sorted(ref.parts))})" if ref.parts else text
