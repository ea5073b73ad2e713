"""Measured result records in the terms of the reported tables.

A record maps to a table cell through its protocol (``name``, or ``name@vN`` when the record's
protocol version is not the installed one: such a record never fills the current cells), its
training sets (``protocol.train``), its test dataset (``protocol.test.dataset``), the metric, and a
*setting* from the record's typed
``settings`` block: ``re-ranking`` when the evaluation re-ranked, ``mask_ratio=R`` for a text-mask
record. Metric values are converted to display units by the metric registry (fractions x100, so
they read like the papers' percent). Records are read only through :func:`harness.results.read_records`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.metrics.registry import display_metrics
from harness.reported.cells import RunIdentity, run_identity
from harness.results.identity import RecordKey, evaluation_parts
from harness.results.io import read_records
from harness.results.schema import ResultRecord


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
    """95% bootstrap interval per metric, in the display units of ``metrics`` (None in older records)."""
    key: RecordKey | None = None
    """The record's identity (method, variant, protocol, protocol version, leg, settings)."""
    setting_parts: tuple[str, ...] = ()
    """The evaluation settings that differ from the defaults (``flip``, ``rerank``, ``mask0.3``...)."""
    metrics_std: dict[str, float] = field(default_factory=dict)
    """Std over trials or repeats, in display units."""
    world: dict | None = None
    """The synthetic world ``{scale, seed}`` of the test data (None for real data or older records)."""
    kind: str = "image"
    """``image`` or ``text`` (caption queries): the metric registry's leg kinds."""
    identity: RunIdentity | None = None
    """Protocol, registry leg and settings: what a paper-table cell is matched on
    (:mod:`harness.reported.cells`)."""
    display_path: str = ""
    """The record's path relative to the results folder (what table footnotes print)."""

    @property
    def protocol_version(self) -> int:
        return self.key.protocol_version if self.key else 1

    @property
    def settings(self) -> str:
        """The identity's settings slug ('' for defaults)."""
        return self.key.settings if self.key else ""

    @property
    def nonreportable(self) -> bool:
        """True for random-init weights or synthetic data: such numbers are not comparable with papers."""
        return not self.reportable or self.synthetic

    @property
    def why_not_reportable(self) -> str:
        reasons = []
        if not self.reportable:
            random_init = "random-init" in self.settings.split("+")
            reasons.append("random-init weights" if random_init else "weights marked not reportable")
        if self.synthetic:
            reasons.append("synthetic data")
        return ", ".join(reasons)

    def matches_setting(self, setting: str) -> bool:
        """Whether this record was evaluated in a reported line's ``setting`` (and in no other
        non-default evaluation setting: a flip or AQE record fills no plain cell)."""
        parts = set(self.setting_parts)
        if setting in ("", "single"):
            return not parts
        if setting == "re-ranking":
            return self.rerank and len(parts) == 1
        if setting.startswith("mask_ratio="):
            try:
                wanted = float(setting.split("=", 1)[1])
            except ValueError:
                return False
            return self.mask_ratio is not None and abs(self.mask_ratio - wanted) < 1e-9 and len(parts) == 1
        return False


def protocol_label(name: str, version: int) -> str:
    """``name`` for the installed protocol's version (or a protocol not installed here), else
    ``name@vN``: a record of another protocol version never fills the current version's cells, and
    gets its own leaderboard page."""
    from harness.protocols import PROTOCOLS

    if name in PROTOCOLS and PROTOCOLS.get(name).version != version:
        return f"{name}@v{version}"
    return name


def mask_ratio_of(record: ResultRecord) -> float | None:
    """The text-mask ratio of a record (``settings.text_mask.ratio``; None when captions were not masked)."""
    mask = record.settings.text_mask
    return None if mask is None else float(mask.ratio)


def method_label(record: ResultRecord) -> str:
    """``name`` or ``name[variant]``: how a measured method is named in tables and plots."""
    from harness.results.identity import method_label as label

    return label(record.method.name, record.method.variant)


def from_record(record: ResultRecord, path: Path | str, display_path: str | None = None) -> Measured:
    """Flatten one record (display-unit metrics, training-set names, setting, identity)."""
    identity = run_identity(record)  # the tables' view of the record identity (``identity.key``)
    return Measured(
        method=method_label(record),
        protocol=protocol_label(record.protocol.name, record.protocol.version),
        leg=record.protocol.leg,
        train=frozenset(src.dataset for src in record.protocol.train),
        target=record.protocol.test.dataset,
        rerank=record.settings.rerank is not None,
        mask_ratio=mask_ratio_of(record),
        metrics=display_metrics(record.metrics),
        reportable=record.reportable,
        synthetic=record.provenance.synthetic_data,
        path=str(path),
        cmc=tuple(100 * x for x in record.cmc),
        profile=_profile(record),
        key=identity.key,
        setting_parts=tuple(evaluation_parts(record.settings, record.protocol.evaluation)),
        metrics_std=display_metrics(record.metrics_std),
        world=record.world.model_dump() if record.world else None,
        ci=_intervals(record),
        kind=record.protocol.kind,
        identity=identity,
        display_path=display_path if display_path is not None else Path(path).name,
    )


def _intervals(record: ResultRecord) -> dict[str, tuple[float, float]] | None:
    """The record's bootstrap intervals in display units (None in records written before them)."""
    if record.intervals is None:
        return None
    low = display_metrics({k: b.low for k, b in record.intervals.metrics.items()})
    high = display_metrics({k: b.high for k, b in record.intervals.metrics.items()})
    return {k: (low[k], high[k]) for k in low}


def _profile(record: ResultRecord) -> dict | None:
    """Flat cost figures of a record run with ``--profile`` (its ``cost`` block), else None.

    ``params_M`` (all towers), ``gflops`` (one image, plus one caption for text methods, as seed
    004 Table 3 adds them), ``inference_time`` (seconds for the record's gallery images, plus its
    captions, at the measured large-batch throughput: the extrapolation of ``harness profile`` and
    its complexity table, :func:`harness.profiling.test_set.extrapolated`).
    """
    cost = record.cost
    if cost is None:
        return None
    flat: dict[str, float] = {}
    if cost.total_params is not None:
        flat["params"] = float(cost.total_params)
    if cost.total_flops is not None:
        flat["flops"] = cost.total_flops
    if cost.throughput_image and cost.throughput_image.items_per_s:
        from harness.profiling.test_set import extrapolated

        texts = record.counts.n_query if record.protocol.kind == "text" else 0
        test_set = extrapolated(
            cost.model_dump(),
            images=record.counts.n_gallery,
            texts=texts,
            batch_size=cost.throughput_image.batch,
        )
        if test_set["compute_s"] is not None:
            flat["inference_s"] = test_set["compute_s"]
    return flat or None


PAPER_FLOPS_PER_PROFILER_FLOP = 0.5
"""Seed 004 (DGCMIA) Table 3's "FLOPs (G)" counts multiply-adds (its 20.25 G for DGCMIA is the
towers' multiply-adds of one 384x128 image plus one caption, ``docs/text-to-image.md``), while the
profiler counts 1 multiply-add = 2 FLOPs; measured FLOPs are halved to sit beside the paper's."""

_COST_KEYS = {
    "params_M": (("params_M", 1.0), ("params_m", 1.0), ("params", 1e-6)),
    "gflops": (("gflops", PAPER_FLOPS_PER_PROFILER_FLOP), ("flops", PAPER_FLOPS_PER_PROFILER_FLOP * 1e-9)),
    "inference_time": (("inference_time", 1.0), ("inference_s", 1.0), ("time_s", 1.0)),
}
"""Cost columns of the paper tables and, per column, the profile keys that may hold it with their
scale to the table's unit (M params, G FLOPs as the paper counts them, seconds)."""


def cost_value(profile: dict | None, metric: str) -> float | None:
    """A record's cost figure ``metric`` (``params_M``, ``gflops``, ``inference_time``) in the paper
    table's unit, or None when the record has none (not profiled, or not a cost column)."""
    for key, scale in _COST_KEYS.get(metric, ()):
        if profile and profile.get(key) is not None:
            return float(profile[key]) * scale
    return None


def load_measured(results_dir: Path) -> list[Measured]:
    """Every record under ``results_dir``, flattened (the validating reader: a missing folder, a bad
    record or two records of one identity raise :class:`harness.errors.ResultError`)."""
    base = Path(results_dir)
    return [from_record(f.record, f.path, f.path.relative_to(base).as_posix()) for f in read_records(base)]
