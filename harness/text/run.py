"""One text-query protocol leg: encode the gallery images once, the (masked) captions per ratio and
repeat, score text-to-image (and image-to-text), and write one result record per mask ratio.

Called by :func:`harness.runner.run_protocol` for legs with ``query_modality: text``. Records are
named after the leg; when the protocol sweeps mask ratios (``text.mask_ratios`` other than
``[0.0]``) each ratio gets its own record, leg ``<leg>@mask<ratio>`` (``cuhk-pedes@mask0.0``,
``cuhk-pedes@mask0.3``), and ``protocol.test.text_mask`` holds the ratio, strategy, token, repeats and seed.

Embeddings come from the engine's content-addressed cache (``docs/engine.md``): gallery images
through :meth:`harness.engine.session.EngineSession.encode` (modality ``image``, role ``gallery``),
captions through :func:`harness.engine.encoder.encode_texts` (modality ``text``, role ``query``).
The key of a masked caption list adds ``extra.text_mask = {ratio, strategy, token, seed, repeat}``
to the texts' digest and the method's identity; ratio 0 captions are the unmasked captions with
no mask fields, so ``textmask`` at ratio 0.0 and ``t2i`` on the same items share one entry. A
phase served from the cache has its timing set to ``None`` with a note (never timed as computed);
a fully cached re-run of a leg that needs no mask token never builds the network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.errors import ConfigError, ProtocolError
from harness.metrics.trials import mean_std
from harness.results.build import dataset_info, method_info, protocol_info, provenance, standard_notes
from harness.results.per_query import attach_per_query, caption_query_sets
from harness.text.evaluate import MULTI_CAPTION_RULE, caption_queries, evaluate_t2i, headline
from harness.text.masking import mask_captions, token_for, token_id_for

if TYPE_CHECKING:
    from harness.data.base import DatasetRead
    from harness.engine.encoder import Encoded
    from harness.engine.session import EngineSession
    from harness.protocols import LegSpec, ProtocolSpec, TextSpec
    from harness.runner import LegOutcome, RunOptions


def record_leg_name(leg: str, ratio: float, text: TextSpec) -> str:
    """``leg`` for unmasked protocols, ``<leg>@mask<ratio>`` when the protocol sweeps mask ratios."""
    return f"{leg}@mask{format_ratio(ratio)}" if text.sweeps else leg


def format_ratio(ratio: float) -> str:
    """``0.0``, ``0.1``, ``0.25``: the shortest form with at least one decimal."""
    short = f"{ratio:g}"
    return short if "." in short else f"{short}.0"


def mask_key_fields(ratio: float, strategy: str, token: str | None, seed: int, repeat: int) -> dict | None:
    """The ``extra`` cache-key fields of one masking of the query captions (None at ratio 0, whose
    captions are the unmasked ones and share the unmasked entry)."""
    if ratio == 0:
        return None
    return {
        "text_mask": {
            "ratio": float(ratio),
            "strategy": strategy,
            "token": token,
            "seed": seed,
            "repeat": repeat,
        }
    }


def _timed(method: Any, fn: Callable[[], Encoded]) -> tuple[Encoded, float]:
    """``fn()`` and its wall time, less the network's build time when ``fn`` had to build it."""
    loaded_before = getattr(method, "load_s", None)
    start = time.perf_counter()
    result = fn()
    wall = time.perf_counter() - start
    if loaded_before is None and getattr(method, "load_s", None) is not None:
        wall -= method.load_s
    return result, wall


def _query_summary(encodings: list[Encoded]) -> dict[str, Any]:
    """One record block for the caption encodings of a ratio (one per repeat)."""
    statuses = {e.status for e in encodings}
    status = statuses.pop() if len(statuses) == 1 else "partial"
    summary: dict[str, Any] = {
        "cache": status,
        "keys": [e.key for e in encodings],
        "repeats": len(encodings),
        "n_items": len(encodings[0].valid),
        "chunks_total": sum(e.chunks_total for e in encodings),
        "chunks_computed": sum(e.chunks_computed for e in encodings),
    }
    computed = [e.stats for e in encodings if e.stats.images]
    if computed:
        texts = sum(s.images for s in computed)
        seconds = sum(s.compute_s for s in computed)
        summary["computed"] = {
            "texts": texts,
            "compute_s": seconds,
            "texts_per_s": texts / seconds if seconds else None,
        }
    return summary


def run_text_leg(
    protocol: ProtocolSpec,
    leg: LegSpec,
    method_name: str,
    weights_path: Path | None,
    options: RunOptions,
    reads: dict[str, DatasetRead],
    progress: Callable[[str, int], Callable[[int], None]],
    engine: EngineSession | None = None,
) -> list[LegOutcome]:
    """Run one text-query leg; returns one outcome per mask ratio (one for unmasked protocols)."""

    from harness.data.manifest import Manifest
    from harness.data.registry import get_reader
    from harness.engine.encoder import encode_texts
    from harness.engine.lazy import open_leg_method
    from harness.engine.numerics import check_finite
    from harness.engine.session import EngineSession, record_phase

    engine = engine if engine is not None else EngineSession.from_options(options)
    evaluation = protocol.evaluation_for(leg)
    text = protocol.text
    method, eager_load_s = open_leg_method(
        method_name, weights_path, options, leg.name, engine.dist.default_device()
    )
    if not method.has_text:
        raise ConfigError(
            f"protocol {protocol.name!r} leg {leg.name!r} queries with text, but method {method.name!r} "
            "has no text encoder (its card lists modalities: " + ", ".join(method.card.modalities) + ")"
        )

    start = time.perf_counter()
    dataset = leg.test.dataset
    if dataset not in reads:
        reads[dataset] = get_reader(dataset).read(options.data_root, strict=options.strict)
    read = reads[dataset]
    query = read.manifest.select(leg.test.query)
    gallery = read.manifest.select(leg.test.gallery)
    queries = caption_queries(query)
    if not queries.captions:
        raise ProtocolError(
            f"protocol {protocol.name!r} leg {leg.name!r}: {dataset} has no captions in its "
            f"'{leg.test.query}' split"
        )
    if len(gallery) == 0:
        raise ProtocolError(
            f"protocol {protocol.name!r} leg {leg.name!r}: {dataset} has no '{leg.test.gallery}' images"
        )
    load_data = time.perf_counter() - start

    notes: list[str] = []
    gallery_timings: dict[str, float | None] = {}
    cached = engine.cached_roles(method, {"gallery": gallery})
    engine.check_space(method, {"gallery": gallery}, cached)
    encoded_gallery, wall = _timed(
        method,
        lambda: engine.encode(
            method, gallery, "gallery", progress(f"{leg.name}: encode gallery", len(gallery))
        ),
    )
    record_phase("gallery", encoded_gallery, wall, gallery_timings, notes)
    keep = np.flatnonzero(encoded_gallery.valid)
    gallery_features = encoded_gallery.features[keep]
    check_finite(gallery_features, [gallery[int(i)].path for i in keep], "gallery", method.name)
    skipped = [
        {"role": "gallery", "path": gallery[row].path, "reason": why}
        for row, why in sorted(encoded_gallery.bad.items())
    ]
    if skipped:
        gallery = Manifest([gallery[int(i)] for i in keep], name=gallery.name)
        notes.append(
            f"{len(skipped)} undecodable gallery images were skipped (--on-bad-image skip); metrics are over "
            "the remaining items, listed in engine.skipped"
        )

    needs_token = text.sweeps and any(r > 0 for r in text.mask_ratios)
    token, token_source, token_id = None, None, None
    if needs_token:  # the family's mask/unk token needs the built network (and its tokenizer)
        token, token_source = token_for(method.model, text.strategy)
        token_id = token_id_for(method.model, text.strategy)
    cost: dict[str, Any] = {}
    if options.profile and engine.dist.is_main:  # harness run --profile: the record's cost block
        from harness.runner import _cost

        cost = _cost(getattr(method, "adapter", method))
    caption_names = [f"{query[int(i)].path} (caption {j})" for j, i in enumerate(queries.image_index)]
    outcomes = []
    for ratio in text.mask_ratios:
        repeats = text.repeats if ratio > 0 else 1
        runs: list[dict[str, Any]] = []
        encodings: list[Encoded] = []
        encode_text_s: float | None = 0.0
        score_s = 0.0
        for repeat in range(repeats):
            captions = (
                queries.captions
                if ratio == 0
                else mask_captions(
                    queries.captions,
                    ratio,
                    seed=text.seed,
                    repeat=repeat,
                    strategy=text.strategy,
                    token=token or "",
                )
            )
            label = f"{leg.name}: encode captions" + (
                f" (mask {ratio:g}, repeat {repeat + 1})" if ratio else ""
            )
            encoded, wall = _timed(
                method,
                lambda captions=captions, label=label, ratio=ratio, repeat=repeat: encode_texts(
                    method,
                    captions,
                    role="query",
                    store=engine.store,
                    batch_size=options.batch_size,
                    chunk_rows=engine.chunk_rows,
                    progress=progress(label, len(captions)),
                    extra=mask_key_fields(ratio, text.strategy, token, text.seed, repeat),
                ),
            )
            encodings.append(encoded)
            if encoded.status in ("hit", "partial") or encode_text_s is None:
                encode_text_s = None
            else:
                encode_text_s += wall
            check_finite(encoded.features, caption_names, "caption", method.name)
            start = time.perf_counter()
            results = evaluate_t2i(
                encoded.features, gallery_features, queries.pids, gallery.pids, evaluation, i2t=text.i2t
            )
            score_s += time.perf_counter() - start
            runs.append(results)
        ratio_notes = list(notes)
        if encode_text_s is None:
            served = sum(e.status == "hit" for e in encodings)
            ratio_notes.append(
                f"encode_text: {served} of {len(encodings)} caption encodings read from the cache "
                f"({', '.join((e.key or '')[:12] for e in encodings)}); timing not measured"
            )
        load_s = getattr(method, "load_s", eager_load_s)
        if load_s is None:
            ratio_notes.append("load_method: the network was not built, every embedding came from the cache")
        timings = {
            "load_method": load_s,
            "load_data": load_data,
            **gallery_timings,
            "encode_text": encode_text_s,
            "score": score_s,
        }
        engine_block = {
            "settings": engine.describe(),
            "encode": {"gallery": encoded_gallery.summary(), "query": _query_summary(encodings)},
            "skipped": skipped,
        }
        if not engine.dist.is_main:
            continue
        record = _record(
            protocol,
            leg,
            method,
            read,
            queries,
            gallery,
            runs,
            ratio,
            text,
            (token, token_source, token_id),
            evaluation,
            timings,
            ratio_notes,
            engine_block,
        )
        record = record.model_copy(update={"cost": cost})
        sets = caption_query_sets(query, queries, gallery, [run["t2i"] for run in runs])
        record = attach_per_query(options.out_dir, record, sets, str(read.found.root))
        from harness.results.io import write_record
        from harness.runner import LegOutcome

        outcomes.append(LegOutcome(record=record, path=write_record(options.out_dir, record)))
    return outcomes


def _mean_std(runs: list[dict[str, Any]]) -> tuple[dict[str, float], dict[str, float], list[float]]:
    per_run = [
        {**headline(r["t2i"]), **({} if "i2t" not in r else headline(r["i2t"], prefix="i2t_"))} for r in runs
    ]
    mean, std = mean_std(per_run)
    cmc = np.mean([np.asarray(r["t2i"].cmc, dtype=np.float64) for r in runs], axis=0)
    return mean, std, [float(x) for x in cmc]


def _record(
    protocol,
    leg,
    method,
    read,
    queries,
    gallery,
    runs,
    ratio,
    text,
    mask_token,
    evaluation,
    timings,
    notes,
    engine_block,
):
    from harness.results.schema import Counts, ResultRecord

    token, token_source, token_id = mask_token
    metrics, metrics_std, cmc = _mean_std(runs)
    first = runs[0]["t2i"]
    test = leg.test.model_dump()
    test["directions"] = ["t2i", "i2t"] if text.i2t else ["t2i"]
    if text.sweeps:
        test["text_mask"] = {
            "ratio": ratio,
            "strategy": text.strategy,
            "token": token if ratio > 0 else None,
            "token_source": token_source if ratio > 0 else None,
            "token_id": token_id if ratio > 0 else None,
            "repeats": len(runs),
            "seed": text.seed,
            "rounding": "floor(ratio * words + 1/2) words per caption",
        }
    notes = [*notes, *standard_notes(method, read, leg.name)]
    if text.sweeps and ratio > 0 and token_source == "default":
        notes.append(
            f"method {method.name!r} defines no {text.strategy} token; masked words became {token!r}"
        )
    if text.sweeps and ratio > 0 and token_id is not None:
        notes.append(
            f"masked words became {token!r}, which the method's tokenizer maps to the single id {token_id}, "
            f"its {text.strategy} token"
        )
    if len(runs) > 1:
        notes.append(
            f"metrics are the mean of {len(runs)} maskings; metrics_std is their population std (ddof=0)"
        )
    conventions = dict(first.conventions)
    conventions["multi_caption"] = MULTI_CAPTION_RULE
    if engine_block["skipped"]:
        conventions["skipped_items"] = len(engine_block["skipped"])
    conventions["direction"] = "t2i (query: caption, gallery: image)" + (
        "; i2t_* metrics: the reverse" if text.i2t else ""
    )
    return ResultRecord(
        protocol=protocol_info(
            protocol, leg, evaluation, leg_name=record_leg_name(leg.name, ratio, text), test=test
        ),
        method=method_info(method),
        metrics=metrics,
        metrics_std=metrics_std if len(runs) > 1 else {},
        cmc=cmc,
        conventions=conventions,
        counts=Counts(
            n_query=len(queries.captions), n_gallery=len(gallery), n_valid_query=int(first.n_valid_query)
        ),
        timings_s=timings,
        data={leg.test.dataset: dataset_info(read, n_captions=len(queries.captions))},
        reportable=method.weights.reportable,
        notes=notes,
        engine=engine_block,
        provenance=provenance(method, read, text_mask=text.seed),
    )
