"""The phases of one leg, shared by image and text legs: one function per phase.

open the method (:func:`open_leg_method`) -> read the data (:func:`read_dataset`) -> timed encode
(:func:`encode_images`, :func:`timed`) -> pool the encoded images (:func:`pool_images`) -> score and
aggregate the trials (:func:`aggregate`) -> build the record (:func:`build_record`) -> write it
(:func:`write_outcome`). What differs between kinds of legs is the query source
(:mod:`harness.pipeline.sources`), never a phase.

Timing convention (``docs/engine.md``): a phase computed in full is timed, its network build
(``load_method``) excluded; a phase served in full or in part from the cache has ``None`` and a note.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from harness.pipeline.scoring import Side, TrialScore

if TYPE_CHECKING:
    from harness.data.base import DatasetRead
    from harness.data.manifest import Manifest
    from harness.data.splits.trials import EvalSet
    from harness.engine.encoder import Encoded
    from harness.engine.session import EngineSession
    from harness.methods.adapter import MethodAdapter
    from harness.pipeline.options import LegOutcome, ProgressHook, RunOptions
    from harness.protocols import EvaluationSpec, LegSpec, ProtocolSpec
    from harness.results.schema import ResultRecord, TextMaskSettings

T = TypeVar("T")


def open_leg_method(
    method_name: str, weights: Path | None, options: RunOptions, leg: LegSpec, engine: EngineSession
) -> tuple[Any, float]:
    """The leg's method, seeded and lazily built (:func:`harness.methods.open.open_method`);
    returns ``(method, eager_load_s)``."""
    from harness.methods.open import open_method

    return open_method(
        method_name,
        weights,
        options.method_settings(),
        leg=leg.name,
        default_device=engine.dist.default_device(),
    )


def read_dataset(
    protocol: ProtocolSpec, leg: LegSpec, options: RunOptions, reads: dict[str, DatasetRead]
) -> DatasetRead:
    """The leg's test dataset, read once per run (``reads`` caches it by name), with the caption
    source the protocol names attached (:func:`harness.data.captions.with_captions`)."""
    from harness.data.captions import with_captions
    from harness.data.registry import get_reader

    dataset = leg.test.dataset
    key = f"{dataset}+{protocol.captions}" if protocol.captions else dataset
    if key not in reads:
        read = get_reader(dataset).read(options.data_root, strict=options.strict)
        reads[key] = with_captions(read, protocol.captions)
    return reads[key]


def timed(method: Any, fn: Callable[[], T]) -> tuple[T, float]:
    """``fn()`` and its wall time, less the network's build time when ``fn`` had to build it."""
    loaded_before = getattr(method, "load_s", None)
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    if loaded_before is None and getattr(method, "load_s", None) is not None:
        wall -= method.load_s
    return result, wall


@dataclass
class EncodedImages:
    """The leg's encoded images by role, with the timings and notes of their encode phases."""

    encoded: dict[str, Encoded]
    timings: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def encode_images(
    engine: EngineSession,
    method: Any,
    manifests: dict[str, Manifest],
    progress: ProgressHook,
    leg_name: str,
) -> EncodedImages:
    """Encode each role's images through the engine (all ranks), one timed phase per role.

    The network is built before the first phase that computes anything (timed apart, as
    ``load_method``); too little cache space fails before any encoding.
    """
    from harness.engine.session import record_phase

    manifests = {role: m for role, m in manifests.items() if len(m)}
    cached = engine.cached_roles(method, manifests)
    if len(cached) < len(manifests) and hasattr(method, "adapter"):
        method.adapter  # noqa: B018  (build the network now, timed apart from encoding)
    engine.check_space(method, manifests, cached)
    out = EncodedImages(encoded={})
    for role, manifest in manifests.items():
        encoded, wall = timed(
            method,
            lambda role=role, manifest=manifest: engine.encode(
                method, manifest, role, progress(f"{leg_name}: encode {role}", len(manifest))
            ),
        )
        out.encoded[role] = encoded
        record_phase(role, encoded, wall, out.timings, out.notes)
    return out


def load_method_timing(method: Any, eager_load_s: float, notes: list[str]) -> float | None:
    """``timings_s.load_method``: the network's build time, None (with a note) when it was not built."""
    load_s = getattr(method, "load_s", eager_load_s)
    if load_s is None:
        notes.append("load_method: the network was not built, every embedding came from the cache")
    return load_s


@dataclass
class ImagePool:
    """Every encoded image of a leg (roles in order), addressed by path; undecodable ones left out."""

    features: np.ndarray
    row: dict[str, int]
    bad_paths: set[str]
    skipped: list[dict[str, str]]

    def keep(self, manifest: Manifest) -> Manifest:
        """``manifest`` without the undecodable items."""
        from harness.data.manifest import Manifest

        if not self.bad_paths:
            return manifest
        return Manifest([it for it in manifest if it.path not in self.bad_paths], name=manifest.name)

    def drop(self, eval_set: EvalSet) -> EvalSet:
        """``eval_set`` without the undecodable items (every trial leaves them out)."""
        if not self.bad_paths:
            return eval_set
        return dataclasses.replace(
            eval_set, query=self.keep(eval_set.query), gallery=self.keep(eval_set.gallery)
        )

    def side(self, manifest: Manifest) -> Side:
        """The scoring side of ``manifest``'s images (every item must be in the pool and decodable)."""
        rows = [self.row[item.path] for item in manifest]
        return Side(self.features[rows], manifest.pids, manifest.camids, manifest.paths)


def pool_images(manifests: dict[str, Manifest], images: EncodedImages, method_name: str) -> ImagePool:
    """Pool the encoded roles; decodable rows must be finite (checked before any scoring)."""
    from harness.engine.session import combine_roles

    manifests = {role: m for role, m in manifests.items() if role in images.encoded}
    features, bad_paths, skipped = combine_roles(manifests, images.encoded, method_name)
    row: dict[str, int] = {}
    items = [item for manifest in manifests.values() for item in manifest]
    for index, item in enumerate(items):  # rows in combine_roles' order: roles in order, items in order
        row.setdefault(item.path, index)
    return ImagePool(features=features, row=row, bad_paths=bad_paths, skipped=skipped)


@dataclass
class Aggregate:
    """The trials of one record, aggregated (:func:`harness.metrics.trials.mean_std`)."""

    metrics: dict[str, float]
    metrics_std: dict[str, float]
    per_trial: list[dict[str, float]]
    cmc: list[float]
    n_valid_query: int
    scores: list[TrialScore]


def aggregate(scores: list[TrialScore]) -> Aggregate:
    """Mean and population std (ddof=0) of every metric over the trials, the mean CMC and the
    worst trial's valid-query count; a single trial has no std and no per-trial list."""
    from harness.metrics.trials import mean_std

    per_trial = [s.metrics for s in scores]
    metrics, metrics_std = mean_std(per_trial)
    if len(scores) == 1:
        metrics_std, per_trial = {}, []
    cmc = np.mean([s.cmc for s in scores], axis=0)
    return Aggregate(
        metrics=metrics,
        metrics_std=metrics_std,
        per_trial=per_trial,
        cmc=[float(x) for x in cmc],
        n_valid_query=min(s.n_valid_query for s in scores),
        scores=scores,
    )


def profile_cost(method: Any) -> dict[str, Any]:
    """The record's ``cost`` block (``harness run --profile``): the built adapter, profiled."""
    from harness.profiling.profile import ProfileSettings, profile_method

    adapter = getattr(method, "adapter", method)
    return profile_method(adapter, ProfileSettings(batch_size=8 if adapter.device.type == "cpu" else 256))


@dataclass
class RecordParts:
    """What a query source contributes to a record (everything else is common)."""

    n_query: int
    n_gallery: int
    data: dict[str, Any]
    conventions: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Notes before the standard ones (:func:`harness.results.build.standard_notes`)."""
    notes_after: list[str] = field(default_factory=list)
    encode: dict[str, Any] = field(default_factory=dict)
    """Further ``engine.encode`` blocks (the caption encodings)."""
    seeds: dict[str, int] = field(default_factory=dict)
    text_mask: TextMaskSettings | None = None
    """The masking of the query captions (``settings.text_mask``; part of the record's identity)."""
    splits: str | None = None
    """Whose published splits the trials came from (``settings.splits``; part of the identity)."""


def build_record(
    protocol: ProtocolSpec,
    leg: LegSpec,
    evaluation: EvaluationSpec,
    method: MethodAdapter,
    read: DatasetRead,
    agg: Aggregate,
    parts: RecordParts,
    *,
    engine: EngineSession,
    images: EncodedImages,
    pool: ImagePool,
    timings: dict[str, float | None],
    notes: list[str],
    cost: dict[str, Any],
) -> ResultRecord:
    """One result record from the aggregated trials and the query source's parts."""
    from harness.results.build import (
        cost_info,
        method_info,
        protocol_info,
        provenance,
        record_settings,
        standard_notes,
    )
    from harness.results.schema import Counts, ResultRecord

    conventions = {**agg.scores[0].conventions, **parts.conventions}
    if pool.skipped:
        conventions["skipped_items"] = len(pool.skipped)
    return ResultRecord(
        protocol=protocol_info(protocol, leg, evaluation),
        method=method_info(method),
        settings=record_settings(
            method,
            leg,
            evaluation,
            conventions,
            flip=engine.describe().get("tta") == "flip",
            text_mask=parts.text_mask,
            splits=parts.splits,
        ),
        metrics=agg.metrics,
        metrics_std=agg.metrics_std,
        trial_metrics=agg.per_trial,
        cmc=agg.cmc,
        conventions=conventions,
        counts=Counts(n_query=parts.n_query, n_gallery=parts.n_gallery, n_valid_query=agg.n_valid_query),
        timings_s=timings,
        data={leg.test.dataset: parts.data},
        reportable=method.weights.reportable,
        notes=[*notes, *parts.notes, *standard_notes(method, read, leg.name), *parts.notes_after],
        engine={
            "settings": engine.describe(),
            "encode": {**{role: enc.summary() for role, enc in images.encoded.items()}, **parts.encode},
            "skipped": pool.skipped,
        },
        cost=cost_info(cost),
        provenance=provenance(method, read, **parts.seeds),
    )


def write_outcome(options: RunOptions, record: ResultRecord) -> LegOutcome:
    """Write ``record`` atomically under ``options.out_dir``."""
    from harness.pipeline.options import LegOutcome
    from harness.results.io import write_record

    return LegOutcome(record=record, path=write_record(options.out_dir, record))
