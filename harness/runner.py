"""Run one method on one protocol: every leg through the one leg pipeline (:mod:`harness.pipeline`).

This is the whole of ``harness run``; the CLI only parses options and prints. A leg runs the same
phases whatever its queries (:mod:`harness.pipeline.phases`); its query source
(:mod:`harness.pipeline.sources`) supplies what differs. Under ``torchrun`` every rank opens the
method, reads the data and encodes its share (images and captions alike); ranks other than 0 then
return before scoring, and only rank 0 scores and writes records.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import MetricError, ProtocolError
from harness.pipeline import phases
from harness.pipeline.options import LegOutcome, ProgressHook, RunOptions, no_progress
from harness.pipeline.sources import query_source
from harness.results.per_query import attach_per_query, score_query_sets

if TYPE_CHECKING:
    from collections.abc import Callable

    from harness.data.base import DatasetRead
    from harness.engine.session import EngineSession
    from harness.protocols import LegSpec, ProtocolSpec

__all__ = ["LegOutcome", "ProgressHook", "RunOptions", "run_leg", "run_protocol"]

log = logging.getLogger(__name__)


def run_protocol(
    protocol_name: str,
    method_name: str,
    options: RunOptions,
    *,
    legs: list[str] | None = None,
    progress: ProgressHook = no_progress,
    on_outcome: Callable[[LegOutcome], None] | None = None,
) -> list[LegOutcome]:
    """Run ``method_name`` on the legs of ``protocol_name`` (all legs by default); one outcome per
    written record (a leg sweeping text-mask ratios writes one per ratio; other ranks write none).
    ``on_outcome`` is called with each leg's outcomes as soon as they are written."""
    from harness.engine.distributed import DistContext
    from harness.engine.preflight import check_writable
    from harness.engine.session import EngineSession
    from harness.methods.registry import get_card
    from harness.protocols import get_protocol
    from harness.weights import check_checkpoint_hashes, resolve_weights

    dist = DistContext.from_env()
    settings = options.engine_settings()  # bad option values fail before any work
    check_writable(Path(options.out_dir), "output directory", "--out")
    engine = EngineSession.open(settings, dist)
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
    reads: dict[str, DatasetRead] = {}
    outcomes: list[LegOutcome] = []
    for leg in chosen:
        finished = run_leg(protocol, leg, method_name, weights[leg.name], options, reads, progress, engine)
        outcomes += finished
        if on_outcome is not None:
            for outcome in finished:
                on_outcome(outcome)
    return outcomes


def run_leg(
    protocol: ProtocolSpec,
    leg: LegSpec,
    method_name: str,
    weights_path: Path | None,
    options: RunOptions,
    reads: dict[str, DatasetRead],
    progress: ProgressHook,
    engine: EngineSession,
) -> list[LegOutcome]:
    """One leg: open -> read -> encode (every rank) -> score -> one record per query variant (rank 0)."""
    from harness.methods.convention import apply_convention, record_entries
    from harness.methods.registry import get_card
    from harness.protocols.run_settings import with_run_settings

    source = query_source(protocol, leg)
    # scored with the method's own distance / normalisation (its card), or the protocol's under
    # --convention common; the record keeps the protocol's evaluation and states the one used
    protocol_evaluation = protocol.evaluation_for(leg)
    evaluation, convention = apply_convention(
        get_card(method_name), protocol_evaluation, protocol.name, options.convention
    )
    evaluation = with_run_settings(evaluation, options.rerank, options.aqe)  # --rerank / --aqe
    where = f"protocol {protocol.name!r} leg {leg.name!r}"
    try:
        source.scorer.check(evaluation)
    except ProtocolError as exc:
        raise ProtocolError(f"{where}: {exc}") from exc
    # the network is built only if an embedding has to be computed (see harness.methods.open)
    method, eager_load_s = phases.open_leg_method(method_name, weights_path, options, leg, engine)
    source.check_method(method)

    start = time.perf_counter()
    read = phases.read_dataset(protocol, leg, options, reads)
    try:
        data = source.prepare(read)
    except ProtocolError as exc:
        raise ProtocolError(f"{where}: {exc}") from exc
    load_data_s = time.perf_counter() - start

    images = phases.encode_images(engine, method, data.images, progress, leg.name)
    variants = source.encode_queries(engine, method, data, progress)
    notes = list(images.notes)
    load_s = phases.load_method_timing(method, eager_load_s, [])
    if not engine.dist.is_main:
        return []  # other ranks of a torchrun job only encode
    # undecodable items (--on-bad-image skip) leave every trial; NaN/Inf rows stop the run here
    pool = phases.pool_images(data.images, images, method.name)
    data.eval_sets = [pool.drop(es) for es in data.eval_sets]
    cost = phases.profile_cost(method) if options.profile else {}

    outcomes = []
    for variant in variants:
        start = time.perf_counter()
        try:
            scores = [
                source.scorer(query, gallery, evaluation)
                for query, gallery in source.trials(data, pool, variant, method.name)
            ]
        except MetricError as exc:  # e.g. no query has a gallery match left: name the leg and data
            raise MetricError(f"{where} ({read.found.root}): {exc}") from exc
        timings = {
            "load_method": load_s,
            "load_data": load_data_s,
            **images.timings,
            **variant.timings,
            "score": time.perf_counter() - start,
        }
        variant_notes = [*notes, *variant.notes]
        phases.load_method_timing(method, eager_load_s, variant_notes)
        agg = phases.aggregate(scores)
        parts = source.record_parts(data, pool, variant, agg, method.name)
        parts.conventions.update(record_entries(convention, method))
        record = phases.build_record(
            protocol,
            leg,
            protocol_evaluation,
            method,
            read,
            agg,
            parts,
            engine=engine,
            images=images,
            pool=pool,
            timings=timings,
            notes=variant_notes,
            cost=cost,
        )
        record = attach_per_query(options.out_dir, record, score_query_sets(scores), str(read.found.root))
        outcomes.append(phases.write_outcome(options, record))
    return outcomes
