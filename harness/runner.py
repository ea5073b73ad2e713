"""Run one method on one protocol: for every leg, read the test data, embed it, score it, record it.

This is the whole pipeline behind ``harness run``; the CLI only parses options and prints.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from harness.data.base import DatasetRead
from harness.data.manifest import Item, Manifest
from harness.data.registry import get_reader
from harness.errors import MetricError, ProtocolError
from harness.methods.registry import get_card
from harness.metrics.trials import mean_std
from harness.protocols import LegSpec, ProtocolSpec, get_protocol
from harness.protocols.trials import leg_eval_sets
from harness.results.build import SEED, dataset_info, method_info, protocol_info, provenance, standard_notes
from harness.results.io import write_record
from harness.results.schema import Counts, ResultRecord
from harness.weights import check_checkpoint_hashes, resolve_weights

log = logging.getLogger(__name__)


@dataclass
class RunOptions:
    """Settings of one ``harness run``."""

    data_root: Path
    out_dir: Path
    device: str | None = None
    batch_size: int = 64
    num_workers: int = 0
    weights: list[str] = field(default_factory=list)
    weights_dir: Path | None = None
    random_init: bool = False
    trust_checkpoint: bool = False
    variant: str | None = None
    dtype: str | None = None
    strict: bool = False
    cache_dir: Path | None = None
    no_cache: bool = False
    verify_content: bool = False
    flip: bool = False
    compile: bool = False
    channels_last: bool = False
    on_bad_image: str = "error"
    cache_chunk_rows: int = 4096
    profile: bool = False


@dataclass
class LegOutcome:
    record: ResultRecord
    path: Path


ProgressHook = Callable[[str, int], Callable[[int], None]]
"""``hook(description, total)`` returns an ``advance(n)`` callback (the CLI draws rich bars)."""


def _no_progress(description: str, total: int) -> Callable[[int], None]:
    return lambda n: None


def run_protocol(
    protocol_name: str,
    method_name: str,
    options: RunOptions,
    *,
    legs: list[str] | None = None,
    progress: ProgressHook = _no_progress,
    on_outcome: Callable[[LegOutcome], None] | None = None,
) -> list[LegOutcome]:
    """Run ``method_name`` on the legs of ``protocol_name`` (all legs by default); ``on_outcome``
    is called with each record as soon as it is written."""
    import numpy as np
    import torch

    from harness.engine.distributed import DistContext
    from harness.engine.session import EngineSession

    dist = DistContext.from_env()
    engine = EngineSession.from_options(options, dist)  # unwritable folders fail before any work
    protocol = get_protocol(protocol_name)
    chosen = [protocol.leg(name) for name in legs] if legs else list(protocol.legs)
    card = get_card(method_name)
    weights = resolve_weights(
        card,
        [leg.name for leg in chosen],
        weights=options.weights,
        weights_dir=options.weights_dir,
        random_init=options.random_init,
    )
    check_checkpoint_hashes(card, weights, strict=options.strict)  # a mismatch warns, or fails under --strict
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    reads: dict[str, DatasetRead] = {}
    outcomes: list[LegOutcome] = []
    for leg in chosen:
        if leg.test.query_modality == "text":
            from harness.text.run import run_text_leg

            args = (protocol, leg, method_name, weights[leg.name], options, reads, progress)
            finished = run_text_leg(*args, engine=engine)
        else:
            outcome = _run_leg(
                protocol, leg, method_name, weights[leg.name], options, reads, progress, engine
            )
            finished = [] if outcome is None else [outcome]  # ranks other than 0 of torchrun only encode
        for outcome in finished:
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(outcome)
    return outcomes


def _run_leg(
    protocol: ProtocolSpec,
    leg: LegSpec,
    method_name: str,
    weights_path: Path | None,
    options: RunOptions,
    reads: dict[str, DatasetRead],
    progress: ProgressHook,
    engine,
) -> LegOutcome | None:
    import numpy as np

    from harness.engine.lazy import open_leg_method
    from harness.engine.session import combine_roles, drop_paths, record_phase
    from harness.metrics import evaluate_features

    evaluation = protocol.evaluation_for(leg)
    timings: dict[str, float | None] = {"load_method": None}
    # the network is built only if an embedding has to be computed (see harness.engine.lazy)
    method, eager_load_s = open_leg_method(
        method_name, weights_path, options, leg.name, engine.dist.default_device()
    )

    start = time.perf_counter()
    dataset = leg.test.dataset
    if dataset not in reads:
        reads[dataset] = get_reader(dataset).read(options.data_root, strict=options.strict)
    read = reads[dataset]
    try:
        eval_sets = leg_eval_sets(
            read,
            query=leg.test.query,
            gallery=leg.test.gallery,
            splits=leg.test.splits,
            trials=evaluation.trials if leg.test.splits else 1,
        )
    except ProtocolError as exc:
        raise ProtocolError(f"protocol {protocol.name!r} leg {leg.name!r}: {exc}") from exc
    timings["load_data"] = time.perf_counter() - start

    # every image any trial uses is encoded once (query-role images, then the remaining
    # gallery-role ones); trials index into the shared features
    row: dict[str, int] = {}
    manifests: dict[str, Manifest] = {}
    for role in ("query", "gallery"):
        todo: dict[str, Item] = {}
        for es in eval_sets:
            for item in getattr(es, role):
                if item.path not in row:
                    todo.setdefault(item.path, item)
        manifests[role] = Manifest(todo.values(), name=read.manifest.name)
        for path in todo:
            row[path] = len(row)
    manifests = {role: m for role, m in manifests.items() if len(m)}
    cached = engine.cached_roles(method, manifests)
    if len(cached) < len(manifests) and hasattr(method, "adapter"):
        method.adapter  # noqa: B018  (build the network now, timed apart from encoding)
    engine.check_space(method, manifests, cached)  # too little disk fails before encoding

    notes: list[str] = []
    encoded = {}
    for role, manifest in manifests.items():
        loaded_before = getattr(method, "load_s", None)
        start = time.perf_counter()
        encoded[role] = engine.encode(
            method, manifest, role, progress(f"{leg.name}: encode {role}", len(manifest))
        )
        wall = time.perf_counter() - start
        if loaded_before is None and getattr(method, "load_s", None) is not None:
            wall -= method.load_s  # a damaged chunk made this phase build the network
        record_phase(role, encoded[role], wall, timings, notes)
    timings["load_method"] = getattr(method, "load_s", eager_load_s)
    if timings["load_method"] is None:
        notes.append("load_method: the network was not built, every embedding came from the cache")
    if not engine.dist.is_main:
        return None
    # undecodable items (--on-bad-image skip) leave every trial; NaN/Inf rows stop the run here
    all_features, bad_paths, skipped = combine_roles(manifests, encoded, method.name)
    if bad_paths:
        eval_sets = [drop_paths(es, bad_paths) for es in eval_sets]

    start = time.perf_counter()
    results = []
    for es in eval_sets:
        q_rows = [row[it.path] for it in es.query]
        g_rows = [row[it.path] for it in es.gallery]
        try:
            results.append(
                evaluate_features(
                    all_features[q_rows],
                    all_features[g_rows],
                    es.query.pids,
                    es.gallery.pids,
                    es.query.camids,
                    es.gallery.camids,
                    distance=evaluation.distance,
                    normalize=evaluation.normalize,
                    max_rank=evaluation.max_rank,
                    junk=evaluation.junk,
                    rerank=evaluation.rerank,
                    denominator=evaluation.denominator,
                )
            )
        except MetricError as exc:  # e.g. no query has a gallery match left: name the leg and data
            where = f"protocol {protocol.name!r} leg {leg.name!r} ({read.found.root})"
            raise MetricError(f"{where}: {exc}") from exc
    timings["score"] = time.perf_counter() - start
    per_trial = [_headline_metrics(r) for r in results]
    metrics, metrics_std = mean_std(per_trial)
    if len(results) == 1:
        metrics_std, per_trial = {}, []
    result = results[0]
    cmc = np.mean([np.asarray(r.cmc, dtype=np.float64) for r in results], axis=0)
    query, gallery = eval_sets[0].query, eval_sets[0].gallery

    if note := _invalid_query_note(results):
        notes.append(note)
    if skipped:
        notes.append(
            f"{len(skipped)} undecodable images were skipped (--on-bad-image skip); metrics are over the "
            "remaining items, listed in engine.skipped"
        )
    notes += standard_notes(method, read, leg.name)
    record = ResultRecord(
        protocol=protocol_info(protocol, leg, evaluation),
        method=method_info(method),
        metrics=metrics,
        metrics_std=metrics_std,
        trial_metrics=per_trial,
        cmc=[float(x) for x in cmc],
        conventions={**result.conventions, **({"skipped_items": len(skipped)} if skipped else {})},
        counts=Counts(
            n_query=len(query),
            n_gallery=len(gallery),
            n_valid_query=min(int(r.n_valid_query) for r in results),
        ),
        timings_s=timings,
        data={
            dataset: dataset_info(
                read,
                captions=read.captions,
                trials=len(eval_sets) if leg.test.splits else None,
                splits=leg.test.splits,
                split_source=eval_sets[0].source if leg.test.splits else None,
            )
        },
        reportable=method.weights.reportable,
        notes=notes,
        engine={
            "settings": engine.describe(),
            "encode": {role: enc.summary() for role, enc in encoded.items()},
            "skipped": skipped,
        },
        cost=_cost(method) if options.profile else {},
        provenance=provenance(method, read),
    )
    return LegOutcome(record=record, path=write_record(options.out_dir, record))


def _invalid_query_note(results) -> str | None:
    """Say how many queries had no gallery match left after the junk rule (worst trial)."""
    worst = max(results, key=lambda r: r.n_query - r.n_valid_query)
    n_invalid = worst.n_query - worst.n_valid_query
    if n_invalid == 0:
        return None
    trials = f" (in the worst of {len(results)} trials)" if len(results) > 1 else ""
    rule = worst.conventions.get("invalid_query", "")
    return f"{n_invalid} of {worst.n_query} queries have no gallery match after the junk rule{trials}" + (
        f": {rule}" if rule else ""
    )


def _cost(method) -> dict:
    from harness.profiling.profile import ProfileSettings, profile_method

    return profile_method(method, ProfileSettings(batch_size=8 if method.device.type == "cpu" else 256))


def _headline_metrics(result) -> dict[str, float]:
    cmc = list(result.cmc)
    metrics = {f"R{k}": float(cmc[k - 1]) for k in (1, 5, 10) if k <= len(cmc)}
    metrics["mAP"] = float(result.mAP)
    metrics["mINP"] = float(result.mINP)
    return metrics
