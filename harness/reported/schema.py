"""Vocabulary and per-field rules of the reported-numbers files (``results/reported``).

One CSV per paper table, in long format: one line per printed cell (two for a ``a/b`` cell that
prints a single-model and a re-ranking value). Names are normalised to the harness's vocabulary
below; values are kept exactly as printed (percent scale where the paper prints percent).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

COLUMNS: tuple[str, ...] = (
    "paper",
    "table",
    "row",
    "method",
    "method_venue",
    "method_year",
    "protocol",
    "paper_protocol",
    "training_set",
    "target",
    "metric",
    "value",
    "setting",
    "note",
    "source_line",
)
"""Columns of every CSV, in this order."""


class _RegistryTitles(Mapping[str, str]):
    """Read-only ``name -> title`` view of a registry (protocols, datasets): names live there only."""

    def __init__(self, registry: str) -> None:
        self._registry = registry

    def _reg(self):
        if self._registry == "protocol":
            from harness.protocols.registry import PROTOCOLS as reg
        else:
            from harness.data.registry import DATASETS as reg
        return reg

    def __getitem__(self, name: str) -> str:
        if name not in self._reg().names():
            raise KeyError(name)
        return str(self._reg().get(name).title)

    def __iter__(self) -> Iterator[str]:
        return iter(self._reg().names())

    def __len__(self) -> int:
        return len(self._reg().names())


PROTOCOLS: Mapping[str, str] = _RegistryTitles("protocol")
"""Protocol names the reported data may use (the protocol registry's), with their titles."""

DATASETS: Mapping[str, str] = _RegistryTitles("dataset")
"""Dataset names the reported data may use (the dataset registry's), with their display titles."""

AVERAGE_TARGET = "average"
"""Pseudo-target of a printed Average column (the paper's mean over the table's targets)."""


@dataclass(frozen=True, slots=True)
class MetricInfo:
    """A metric name of the reported-numbers vocabulary, with its unit."""

    name: str
    unit: str
    description: str
    higher_is_better: bool | None


def _measured_metrics() -> list[MetricInfo]:
    """The metric registry's metrics (what runs measure), in the reported vocabulary's terms."""
    from harness.metrics.registry import all_metrics

    return [
        MetricInfo(m.name, "percent" if m.unit == "%" else m.unit, m.description, m.higher_is_better)
        for m in all_metrics()
    ]


METRICS: dict[str, MetricInfo] = {
    m.name: m
    for m in (
        *_measured_metrics(),
        MetricInfo("delta_R1", "percentage points", "printed Rank-1 difference between two methods", None),
        MetricInfo("delta_mAP", "percentage points", "printed mAP difference between two methods", None),
        MetricInfo("params_M", "millions", "number of model parameters", False),
        MetricInfo("gflops", "GFLOPs", "floating-point operations as printed by the paper", False),
        MetricInfo(
            "inference_time", "seconds", "wall-clock evaluation time as defined in the table notes", False
        ),
        MetricInfo("num_ids", "count", "number of identities in a split", None),
        MetricInfo("num_images", "count", "number of images in a split", None),
    )
}

TABLE_KINDS: tuple[str, ...] = ("comparison", "ablation", "statistics", "robustness", "complexity")
"""``statistics`` tables describe datasets: their lines have no method and no training set."""

STATUSES: tuple[str, ...] = ("reported", "not reported", "not applicable", "unreadable")
"""Cell status. ``reported`` has a value; the others have an empty value and a note
``<status>: "<printed text>"`` (optionally followed by ``; <more>``)."""

VALUE_RE = re.compile(r"^[+-]?\d+(?:\.\d+)?$")
NOTE_STATUS_RE = re.compile(r'^(not reported|not applicable|unreadable): "(.*?)"(?:;|$)')
YEAR_RE = re.compile(r"^\d{4}$")


def split_sets(training_set: str) -> list[str]:
    """Datasets of a ``+``-joined training set (``market1501+msmt17`` -> two names)."""
    return [s for s in training_set.split("+")] if training_set else []


def empty_cell_status(note: str) -> tuple[str, str] | None:
    """``(status, printed text)`` of an empty cell's note, or None when the note does not follow the rule."""
    m = NOTE_STATUS_RE.match(note)
    return (m.group(1), m.group(2)) if m else None
