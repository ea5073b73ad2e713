"""The result record: one JSON per record identity, ``schema_version`` 2.

Every block is a typed model (unknown keys are refused). Metric values are in the units of the
metric registry (:mod:`harness.metrics.registry`; fractions in [0, 1] for retrieval metrics, which
reports scale to percent). ``timings_s`` holds per-phase wall times; a phase whose work came from a
cache is ``None`` ("not measured"), never a misleading number. ``reportable`` is False for
random-init weights or any other smoke setting, and ``notes`` says why.

``settings`` holds every setting that changes the numbers (re-ranking, AQE, flip, precision, text
mask, evaluation convention, checkpoint); with the method, variant, protocol, protocol version and
leg it is the record's identity (:mod:`harness.results.identity`). Files of schema version 1 are
read through :mod:`harness.results.migrate`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from harness.protocols.spec import EvaluationSpec, TestSpec, TrainSource

TestSet = TestSpec
"""The leg's test target, as the protocol file states it (the protocol format's own model)."""
EvaluationInfo = EvaluationSpec
"""The protocol's evaluation settings for the leg (the protocol format's own model)."""

SCHEMA_VERSION = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProtocolInfo(_Model):
    name: str
    version: int = Field(ge=1)
    leg: str
    title: str = ""
    train: list[TrainSource] = Field(default_factory=list)
    test: TestSpec
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)

    @property
    def kind(self) -> Literal["image", "text"]:
        """``text`` for caption-query legs, else ``image`` (the metric registry's leg kinds)."""
        return self.test.query_modality


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


class RerankSettings(_Model):
    """k-reciprocal re-ranking parameters (Zhong et al. 2017; defaults k1=20, k2=6, lambda=0.3)."""

    k1: int = Field(20, ge=1)
    k2: int = Field(6, ge=1)
    lambda_value: float = Field(0.3, ge=0.0, le=1.0)


class AQESettings(_Model):
    """Average query expansion (fast-reid): rounds, neighbours and weighting exponent."""

    qe_times: int = Field(1, ge=1)
    qe_k: int = Field(5, ge=1)
    alpha: float = 3.0


class TextMaskSettings(_Model):
    """How the query captions of a text leg were masked (``textmask``; see ``harness.text.masking``)."""

    ratio: float = Field(ge=0.0, lt=1.0)
    strategy: Literal["mask", "unk", "delete"] = "mask"
    token: str | None = None
    token_source: str | None = None
    token_id: int | None = None
    repeats: int = Field(1, ge=1)
    seed: int = Field(0, ge=0)
    rounding: str = "floor(ratio * words + 1/2) words per caption"


class EvalConvention(_Model):
    """The distance and feature normalisation the leg was scored with, and whose they are.

    ``source``: ``protocol`` (the protocol file's common convention), ``method`` (the method card's
    own, as its paper scored it) or ``common`` (one convention forced on every method by the user).
    """

    distance: Literal["cosine", "euclidean", "sqeuclidean"]
    normalize: bool
    source: Literal["protocol", "method", "common"] = "protocol"


class CheckpointRef(_Model):
    """The checkpoint a record was computed with, and the one the method card lists for the leg."""

    sha256: str
    card_sha256: str | None = None

    @property
    def is_card_checkpoint(self) -> bool:
        """True when the card lists a sha256 for the leg and the checkpoint has it."""
        return self.card_sha256 is not None and self.card_sha256.lower() == self.sha256.lower()


class Settings(_Model):
    """Every setting that changes the numbers; part of the record's identity."""

    rerank: RerankSettings | None = None
    aqe: AQESettings | None = None
    flip: bool = False
    dtype: str = "fp32"
    method_dtype: str | None = None
    """The method card's own precision (``dtype`` differs from it under ``--dtype``)."""
    text_mask: TextMaskSettings | None = None
    convention: EvalConvention | None = None
    checkpoint: CheckpointRef | None = None
    splits: str | None = None
    """Whose published split files from the user's copy the trials came from (``metabin``: MetaBIN's
    PRID file or VIPeR folders; ``cmdg``: CMDG's caption split files); None: the harness's own
    (the shipped frozen trials, the dataset's partition file, the synthetic world's)."""


class Counts(_Model):
    n_query: int = Field(ge=0)
    n_gallery: int = Field(ge=0)
    n_valid_query: int = Field(ge=0)


class SynthWorld(_Model):
    """The synthetic world a record was computed on (from its ``harness-synthetic.json`` marker)."""

    scale: str
    seed: int
    generator_version: int | None = None


class DataInfo(_Model):
    """Where one test dataset came from."""

    root: str
    layout: str
    synthetic: bool
    manifest_sha256: str
    counts_ok: bool
    world: SynthWorld | None = None
    captions: dict[str, Any] | None = None
    n_captions: int | None = None
    trials: int | None = None
    splits: str | None = None
    split_source: str | None = None


class EngineInfo(_Model):
    """Extraction settings, per-role cache status and throughput, skipped items (``harness.engine``)."""

    settings: dict[str, Any] = Field(default_factory=dict)
    encode: dict[str, dict[str, Any]] = Field(default_factory=dict)
    skipped: list[dict[str, Any]] = Field(default_factory=list)


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Timing(_Open):
    """One latency or throughput measurement (``harness.profiling.timing``)."""

    batch: int
    items_per_s: float | None = None
    median_ms: float | None = None


class CostInfo(_Open):
    """The method's cost profile (``harness run --profile``; ``harness.profiling.profile_method``).

    The typed fields are what reports read; further figures of the profiler are kept as written.
    """

    params: dict[str, int | None] | None = None
    flops_per_image: dict[str, Any] | None = None
    flops_per_text: dict[str, Any] | None = None
    latency_image_b1: Timing | None = None
    throughput_image: Timing | None = None
    latency_text_b1: Timing | None = None
    throughput_text: Timing | None = None

    @property
    def total_params(self) -> int | None:
        return (self.params or {}).get("total")

    @property
    def total_flops(self) -> float | None:
        """FLOPs of one image plus one caption (text methods), as seed 004 Table 3 adds them."""
        if not self.flops_per_image or self.flops_per_image.get("flops") is None:
            return None
        text = (self.flops_per_text or {}).get("flops") or 0
        return float(self.flops_per_image["flops"]) + float(text)


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
    schema_version: Literal[2] = SCHEMA_VERSION
    protocol: ProtocolInfo
    method: MethodInfo
    settings: Settings = Field(default_factory=Settings)
    metrics: dict[str, float]
    """Registered metrics (``harness.metrics.registry``) in their record units."""
    metrics_std: dict[str, float] = Field(default_factory=dict)
    """Standard deviation (ddof=0) over trials or mask repeats; empty for single-evaluation legs."""
    trial_metrics: list[dict[str, float]] = Field(default_factory=list)
    """Per-trial (or per-repeat) metrics (``metrics`` is their mean); empty for single evaluations."""
    cmc: list[float] = Field(default_factory=list)
    conventions: dict[str, Any] = Field(default_factory=dict)
    counts: Counts
    timings_s: dict[str, float | None] = Field(default_factory=dict)
    data: dict[str, DataInfo] = Field(default_factory=dict)
    reportable: bool = True
    notes: list[str] = Field(default_factory=list)
    engine: EngineInfo = Field(default_factory=EngineInfo)
    cost: CostInfo | None = None
    """Optional profile of the method (params, FLOPs, latency; ``harness.profiling``); None if not run."""
    provenance: Provenance
    intervals: Intervals | None = None
    """Confidence intervals of the headline metrics; None in records written before they existed."""
    per_query: PerQueryRef | None = None
    """Per-query outcomes (ranks, AP, INP, top-k lists); None in records written before they existed."""

    @field_validator("cost", mode="before")
    @classmethod
    def _no_profile(cls, value: Any) -> Any:
        return None if value == {} else value

    @property
    def world(self) -> SynthWorld | None:
        """The synthetic world of the test data (None for real data or records that predate it)."""
        worlds = [d.world for d in self.data.values() if d.world is not None]
        return worlds[0] if worlds else None
