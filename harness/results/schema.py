"""The result record: one JSON per (method, protocol, leg), ``schema_version`` 1.

Metric values are fractions in [0, 1] (reports scale them to percent). ``timings_s`` holds
per-phase wall times; a phase whose work came from a cache is ``None`` ("not measured"), never a
misleading number. ``reportable`` is False for random-init weights or any other smoke setting, and
``notes`` says why.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProtocolInfo(_Model):
    name: str
    version: int
    leg: str
    title: str = ""
    train: list[dict[str, Any]] = Field(default_factory=list)
    test: dict[str, Any] = Field(default_factory=dict)
    evaluation: dict[str, Any] = Field(default_factory=dict)


class MethodInfo(_Model):
    name: str
    variant: str | None = None
    adapter_version: str = "1"
    weights: Literal["checkpoint", "random-init", "weights-free"]
    checkpoint_sha256: str | None = None
    checkpoint_path: str | None = None
    dtype: str = "fp32"
    test_feature: str = ""
    load_report: dict[str, Any] = Field(default_factory=dict)


class Counts(_Model):
    n_query: int
    n_gallery: int
    n_valid_query: int


class Provenance(_Model):
    harness_version: str
    git_sha: str | None
    git_dirty: bool | None
    python: str
    torch: str
    cuda: str | None
    cuda_available: bool
    device: str | None
    device_name: str
    platform: str
    seeds: dict[str, int]
    command: str
    timestamp_utc: str
    synthetic_data: bool


class MetricInterval(_Model):
    low: float
    high: float


class Intervals(_Model):
    """Bootstrap confidence intervals of the headline metrics (``harness.stats``, docs/statistics.md)."""

    level: float
    method: Literal["percentile"]
    scheme: Literal["queries", "trials+queries"]
    """``queries``: one split (mask repeats averaged per query); ``trials+queries``: two-stage."""
    n_resamples: int
    seed: int
    metrics: dict[str, MetricInterval] = Field(default_factory=dict)


class PerQueryRef(_Model):
    """The per-query outcome file written beside the record (``harness.results.per_query``)."""

    file: str
    """File name, in the record's folder."""
    sha256: str
    format: Literal["npz"] = "npz"
    format_version: int = 1
    n_rows: int
    topk: int


class ResultRecord(_Model):
    schema_version: Literal[1] = SCHEMA_VERSION
    protocol: ProtocolInfo
    method: MethodInfo
    metrics: dict[str, float]
    metrics_std: dict[str, float] = Field(default_factory=dict)
    """Standard deviation (ddof=0) over trials, for legs evaluated on several trials; else empty."""
    trial_metrics: list[dict[str, float]] = Field(default_factory=list)
    """Per-trial headline metrics (``metrics`` is their mean); empty for single-trial legs."""
    cmc: list[float] = Field(default_factory=list)
    conventions: dict[str, Any] = Field(default_factory=dict)
    counts: Counts
    timings_s: dict[str, float | None] = Field(default_factory=dict)
    data: dict[str, Any] = Field(default_factory=dict)
    reportable: bool = True
    notes: list[str] = Field(default_factory=list)
    engine: dict[str, Any] = Field(default_factory=dict)
    """Extraction settings, per-role cache status and throughput, skipped items (``harness.engine``)."""
    cost: dict[str, Any] = Field(default_factory=dict)
    """Optional profile of the method (params, FLOPs, latency; ``harness.profiling``)."""
    provenance: Provenance
    intervals: Intervals | None = None
    """Confidence intervals of the headline metrics; None in records written before they existed."""
    per_query: PerQueryRef | None = None
    """Per-query outcomes (ranks, AP, INP, top-k lists); None in records written before they existed."""
