"""Vocabulary and per-field rules of the reported-numbers files (``results/reported``).

One CSV per paper table, in long format: one line per printed cell (two for a ``a/b`` cell that
prints a single-model and a re-ranking value). Names are normalised to the harness's vocabulary
below; values are kept exactly as printed (percent scale where the paper prints percent).
"""

from __future__ import annotations

import re
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

PROTOCOLS: dict[str, str] = {
    "single": "train and test on the same dataset (supervised, single-dataset)",
    "jmcm": "DTTA's joint training on Market-1501 + CUHK03-NP labeled + MSMT17, tested on each",
    "p1": "ACL/META/CMDG Protocol-1: M + C2 + C3 + CS full sets -> PRID, GRID, VIPeR, iLIDS",
    "p2": "leave-one-out over M/MS/CS/C3 with source train splits",
    "p3": "leave-one-out over M/MS/CS/C3 with full source sets (train+query+gallery)",
    "cross": "single-source cross-dataset (ReText's 'Protocol 1', the QAConv/TransMatcher setting)",
    "t2i": "text-to-image retrieval, trained and tested on the same dataset",
    "t2i-cross": "text-to-image retrieval, trained on one dataset and tested on another",
    "textmask": "text-to-image retrieval with randomly masked query texts (mask ratio in 'setting')",
}

DATASETS: dict[str, str] = {
    "market1501": "Market-1501",
    "msmt17": "MSMT17 (train split as source; query/gallery as target)",
    "msmt17-merged": "MSMT17 train+val+query+gallery ('MSMT17-merged', 'MSMT17_all', 'MSMT (all)')",
    "cuhk03": "CUHK03, split and box type not fully stated by the paper",
    "cuhk03-np": "CUHK03 new protocol (767/700 IDs), box type (labeled/detected) not stated",
    "cuhk03-np-labeled": "CUHK03 new protocol, labeled boxes",
    "cuhk03-np-detected": "CUHK03 new protocol, detected boxes",
    "cuhk-sysu": "CUHK-SYSU person crops",
    "cuhk02": "CUHK02",
    "prid": "PRID",
    "grid": "GRID",
    "viper": "VIPeR",
    "ilids": "iLIDS",
    "randperson": "RandPerson (synthetic)",
    "dukemtmc-reid": "DukeMTMC-reID (withdrawn; appears only as a training set in older papers)",
    "synth-pedes": "SYNTH-PEDES single-camera captioned data (training only)",
    "jmcm": "DTTA's joint set: Market-1501 + CUHK03-NP labeled + MSMT17 train splits",
    "cuhk-pedes": "CUHK-PEDES (text-to-image)",
    "icfg-pedes": "ICFG-PEDES (text-to-image)",
    "rstpreid": "RSTPReid (text-to-image)",
}

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
