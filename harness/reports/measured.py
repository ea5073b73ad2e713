"""Measured result records in the terms of the reported tables.

A record maps to a table cell through its protocol name, its training sets (``protocol.train``), its
test dataset (``protocol.test.dataset``), the metric, and a *setting*: ``re-ranking`` when the
evaluation re-ranks, ``mask_ratio=R`` for a ``textmask`` record. Metric fractions are scaled x100 so
they read like the papers' percent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.errors import ResultError
from harness.results.io import iter_record_paths, read_record
from harness.results.schema import ResultRecord

PERCENT_METRICS = frozenset({"R1", "R5", "R10", "mAP", "mINP"})
"""Record metrics stored as fractions; reports print them x100."""

_RATIO_KEYS = ("mask_ratio", "ratio")
_NUMBER = re.compile(r"(\d+(?:\.\d+)?)")


@dataclass(frozen=True, eq=False)
class Measured:
    """One result record, flattened for table and plot lookups (metric values in percent)."""

    method: str
    protocol: str
    leg: str
    train: frozenset[str]
    target: str
    rerank: bool
    mask_ratio: float | None
    metrics: dict[str, float]
    reportable: bool
    synthetic: bool
    path: str
    cmc: tuple[float, ...] = ()
    profile: dict | None = None
    ci: dict[str, tuple[float, float]] | None = None
    """95% bootstrap interval per metric, in the same scale as ``metrics`` (None in older records)."""

    @property
    def nonreportable(self) -> bool:
        """True for random-init weights or synthetic data: such numbers are not comparable with papers."""
        return not self.reportable or self.synthetic

    @property
    def why_not_reportable(self) -> str:
        reasons = []
        if not self.reportable:
            reasons.append("record not reportable (e.g. random-init weights)")
        if self.synthetic:
            reasons.append("synthetic data")
        return ", ".join(reasons)

    def matches_setting(self, setting: str) -> bool:
        """Whether this record was evaluated in a reported line's ``setting``."""
        if setting in ("", "single"):
            return not self.rerank and self.mask_ratio is None
        if setting == "re-ranking":
            return self.rerank and self.mask_ratio is None
        if setting.startswith("mask_ratio="):
            try:
                wanted = float(setting.split("=", 1)[1])
            except ValueError:
                return False
            return self.mask_ratio is not None and abs(self.mask_ratio - wanted) < 1e-9
        return False


def mask_ratio_of(record: ResultRecord) -> float | None:
    """The text-mask ratio of a ``textmask`` record (None for other protocols).

    Looked up as ``ratio`` in ``protocol.test.text_mask`` (what ``harness run -p textmask`` writes),
    as ``mask_ratio``/``ratio`` in ``protocol.test`` or ``protocol.evaluation``, else as the last
    number in the leg name (``cuhk-pedes@mask0.3`` -> 0.3; a number above 1 is a percent: ``m30``
    -> 0.3).
    """
    if record.protocol.name != "textmask":
        return None
    text_mask = record.protocol.test.get("text_mask")
    if isinstance(text_mask, dict) and text_mask.get("ratio") is not None:
        return float(text_mask["ratio"])
    for block in (record.protocol.test, record.protocol.evaluation):
        for key in _RATIO_KEYS:
            if key in block and block[key] is not None:
                return float(block[key])
    numbers = _NUMBER.findall(record.protocol.leg)
    if not numbers:
        raise ResultError(
            f"textmask record leg {record.protocol.leg!r}: no mask ratio in protocol.test, "
            "protocol.evaluation or the leg name"
        )
    value = float(numbers[-1])
    return value / 100 if value > 1 else value


def method_label(record: ResultRecord) -> str:
    """``name`` or ``name[variant]``: how a measured method is named in tables and plots."""
    m = record.method
    return f"{m.name}[{m.variant}]" if m.variant else m.name


def from_record(record: ResultRecord, path: Path | str) -> Measured:
    """Flatten one record (percent metrics, training-set names, setting)."""
    metrics = {k: (100 * v if k in PERCENT_METRICS else v) for k, v in record.metrics.items()}
    return Measured(
        method=method_label(record),
        protocol=record.protocol.name,
        leg=record.protocol.leg,
        train=frozenset(str(src.get("dataset")) for src in record.protocol.train),
        target=str(record.protocol.test.get("dataset", "")),
        rerank=bool(record.protocol.evaluation.get("rerank", False)),
        mask_ratio=mask_ratio_of(record),
        metrics=metrics,
        reportable=record.reportable,
        synthetic=record.provenance.synthetic_data,
        path=str(path),
        cmc=tuple(100 * x for x in record.cmc),
        profile=_profile(record),
        ci=(
            {k: (100 * b.low, 100 * b.high) for k, b in record.intervals.metrics.items()}
            if record.intervals is not None
            else None
        ),
    )


def _profile(record: ResultRecord) -> dict | None:
    """Flat cost figures of a record run with ``--profile`` (its ``cost`` block), else None.

    ``params_M`` (all towers), ``gflops`` (one image, plus one caption for text methods, as seed
    004 Table 3 adds them), ``inference_time`` (seconds for the record's gallery images, plus its
    captions, at the measured large-batch throughput: an extrapolation, like the text complexity
    table's default).
    """
    cost = record.cost or {}
    if not cost:
        block = record.data.get("profile") if isinstance(record.data, dict) else None
        return block if isinstance(block, dict) else None
    flat: dict[str, float] = {}
    params = cost.get("params") or {}
    if params.get("total") is not None:
        flat["params"] = float(params["total"])
    flops = [(cost.get(k) or {}).get("flops") for k in ("flops_per_image", "flops_per_text")]
    if flops[0] is not None:
        flat["flops"] = float(sum(f for f in flops if f is not None))
    image_rate = (cost.get("throughput_image") or {}).get("items_per_s")
    text_rate = (cost.get("throughput_text") or {}).get("items_per_s")
    if image_rate:
        seconds = record.counts.n_gallery / image_rate
        if text_rate and record.protocol.test.get("query_modality") == "text":
            seconds += record.counts.n_query / text_rate
        flat["inference_s"] = seconds
    return flat or None


def load_measured(results_dir: Path) -> list[Measured]:
    """Every record under ``results_dir`` (``<method>/<protocol>/<leg>.json``), flattened.

    A missing folder raises :class:`ResultError`; an unreadable record raises it naming the file.
    """
    base = Path(results_dir)
    if not base.is_dir():
        raise ResultError(f"{base}: no such results folder (expected <method>/<protocol>/<leg>.json records)")
    return [from_record(read_record(p), p) for p in iter_record_paths(base)]
