"""One text-query protocol leg: encode the gallery images once, the (masked) captions per ratio and
repeat, score text-to-image (and image-to-text), and write one result record per mask ratio.

Called by :func:`harness.runner.run_protocol` for legs with ``query_modality: text``. Records are
named after the leg; when the protocol sweeps mask ratios (``text.mask_ratios`` other than
``[0.0]``) each ratio gets its own record, leg ``<leg>@mask<ratio>`` (``cuhk-pedes@mask0.0``,
``cuhk-pedes@mask0.3``), and ``protocol.test.text_mask`` holds the ratio, strategy, token, repeats and seed.

Embeddings are memoised for the duration of one ``run_protocol`` call (:class:`EmbeddingMemo`), keyed
by the method's identity (which includes the checkpoint hash), the content and, for text, the mask
ratio, strategy, token, seed and repeat; nothing is persisted between runs.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from harness.data.manifest import Manifest
from harness.errors import ConfigError, ProtocolError
from harness.text.evaluate import MULTI_CAPTION_RULE, caption_queries, encode_captions, evaluate_t2i, headline
from harness.text.masking import mask_captions, token_for
from harness.weights import sha256_mismatch

if TYPE_CHECKING:
    from harness.data.base import DatasetRead
    from harness.protocols import LegSpec, ProtocolSpec, TextSpec
    from harness.runner import LegOutcome, RunOptions

MEMO_NOTE = "masked-text and image embeddings were memoised within this run only (no persistent cache)"


@dataclass
class EmbeddingMemo:
    """In-run memo of embeddings: ``key -> features``; ``hits`` counts reuses."""

    store: dict[str, np.ndarray] = field(default_factory=dict)
    hits: int = 0

    @staticmethod
    def key(**parts: Any) -> str:
        return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()

    def get_or_compute(self, key: str, compute: Callable[[], np.ndarray]) -> tuple[np.ndarray, bool]:
        """``(features, from_memo)``."""
        if key in self.store:
            self.hits += 1
            return self.store[key], True
        value = compute()
        self.store[key] = value
        return value, False


def record_leg_name(leg: str, ratio: float, text: TextSpec) -> str:
    """``leg`` for unmasked protocols, ``<leg>@mask<ratio>`` when the protocol sweeps mask ratios."""
    return f"{leg}@mask{format_ratio(ratio)}" if text.sweeps else leg


def format_ratio(ratio: float) -> str:
    """``0.0``, ``0.1``, ``0.25``: the shortest form with at least one decimal."""
    short = f"{ratio:g}"
    return short if "." in short else f"{short}.0"


def _text_hash(captions: list[str]) -> str:
    digest = hashlib.sha256()
    for caption in captions:
        digest.update(caption.encode("utf-8") + b"\0")
    return digest.hexdigest()


def run_text_leg(
    protocol: ProtocolSpec,
    leg: LegSpec,
    method_name: str,
    weights_path: Path | None,
    options: RunOptions,
    reads: dict[str, DatasetRead],
    progress: Callable[[str, int], Callable[[int], None]],
    memo: EmbeddingMemo | None = None,
) -> list[LegOutcome]:
    """Run one text-query leg; returns one outcome per mask ratio (one for unmasked protocols)."""
    from harness.data.registry import get_reader
    from harness.engine.numerics import check_finite
    from harness.methods.load import load_method

    memo = memo if memo is not None else EmbeddingMemo()
    evaluation = protocol.evaluation_for(leg)
    text = protocol.text
    start = time.perf_counter()
    method = load_method(
        method_name,
        weights_path,
        variant=options.variant,
        device=options.device,
        random_init=options.random_init,
        trust_checkpoint=options.trust_checkpoint,
        dtype=options.dtype,
        leg=leg.name,
    )
    load_time = time.perf_counter() - start
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

    identity = method.identity()
    start = time.perf_counter()
    (gallery_features, skipped), cached = memo.get_or_compute(
        memo.key(kind="image", method=identity, manifest=gallery.fingerprint()),
        lambda: encode_gallery_images(
            method, gallery, options, progress(f"{leg.name}: encode gallery", len(gallery))
        ),
    )
    encode_gallery = None if cached else time.perf_counter() - start
    if skipped:  # --on-bad-image skip: undecodable gallery images leave the gallery
        bad = {item["path"] for item in skipped}
        gallery = Manifest([it for it in gallery if it.path not in bad], name=gallery.name)
    check_finite(gallery_features, gallery.paths, "gallery", method.name)

    token, token_source = token_for(method.model, text.strategy)
    base_hash = _text_hash(queries.captions)
    outcomes = []
    for ratio in text.mask_ratios:
        repeats = text.repeats if ratio > 0 else 1
        runs: list[dict[str, Any]] = []
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
                    token=token,
                )
            )
            start = time.perf_counter()
            key = memo.key(
                kind="text",
                method=identity,
                captions=base_hash,
                ratio=ratio,
                strategy=text.strategy if ratio > 0 else None,
                token=token if ratio > 0 else None,
                seed=text.seed if ratio > 0 else None,
                repeat=repeat if ratio > 0 else None,
            )
            label = f"{leg.name}: encode captions" + (
                f" (mask {ratio:g}, repeat {repeat + 1})" if ratio else ""
            )
            features, cached = memo.get_or_compute(
                key,
                lambda captions=captions, label=label: encode_captions(
                    method, captions, batch_size=options.batch_size, progress=progress(label, len(captions))
                ),
            )
            if not cached:
                names = [f"{query[int(i)].path} (caption {j})" for j, i in enumerate(queries.image_index)]
                check_finite(features, names, "caption", method.name)
            if cached or encode_text_s is None:
                encode_text_s = None
            else:
                encode_text_s += time.perf_counter() - start
            start = time.perf_counter()
            results = evaluate_t2i(
                features, gallery_features, queries.pids, gallery.pids, evaluation, i2t=text.i2t
            )
            score_s += time.perf_counter() - start
            runs.append(results)
        timings = {
            "load_method": load_time,
            "load_data": load_data,
            "encode_gallery": encode_gallery,
            "encode_text": encode_text_s,
            "score": score_s,
        }
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
            token,
            token_source,
            evaluation,
            timings,
            memo,
            skipped,
        )
        from harness.results.io import write_record
        from harness.runner import LegOutcome

        outcomes.append(LegOutcome(record=record, path=write_record(options.out_dir, record)))
    return outcomes


def encode_gallery_images(
    method, gallery: Manifest, options: RunOptions, progress: Callable[[int], None]
) -> tuple[np.ndarray, list[dict[str, str]]]:
    """Embeddings of the decodable gallery images (manifest order) and the skip list.

    Under ``--on-bad-image error`` an undecodable image stops the run naming its path; under
    ``skip`` its row is left out and listed as ``{role, path, reason}`` (as the image runner does).
    """
    from harness.engine.extract import ExtractSettings, iter_batches

    settings = ExtractSettings(
        batch_size=options.batch_size, num_workers=options.num_workers, on_bad_image=options.on_bad_image
    )
    blocks, valid, skipped = [], [], []
    for batch in iter_batches(method, gallery.paths, gallery.camids.tolist(), settings):
        blocks.append(batch.features)
        valid.append(batch.valid)
        for row, ok, reason in zip(batch.rows, batch.valid, batch.reasons, strict=True):
            if not ok:
                skipped.append({"role": "gallery", "path": gallery[int(row)].path, "reason": reason})
        progress(len(batch.rows))
    if not blocks:
        return np.zeros((0, 0), dtype=np.float32), skipped
    return np.concatenate(blocks)[np.concatenate(valid)], skipped


def _mean_std(runs: list[dict[str, Any]]) -> tuple[dict[str, float], dict[str, float], list[float]]:
    per_run = [
        {**headline(r["t2i"]), **({} if "i2t" not in r else headline(r["i2t"], prefix="i2t_"))} for r in runs
    ]
    keys = list(per_run[0])
    values = {k: np.asarray([m[k] for m in per_run], dtype=np.float64) for k in keys}
    mean = {k: float(v.mean()) for k, v in values.items()}
    std = {k: float(v.std(ddof=1)) if len(v) > 1 else 0.0 for k, v in values.items()}
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
    token,
    token_source,
    evaluation,
    timings,
    memo,
    skipped,
):
    from harness.provenance import collect
    from harness.results.schema import Counts, MethodInfo, ProtocolInfo, Provenance, ResultRecord
    from harness.runner import SEED

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
            "repeats": len(runs),
            "seed": text.seed,
            "rounding": "floor(ratio * words + 1/2) words per caption",
        }
    notes = []
    if not method.weights.reportable:
        notes.append("random-init weights: smoke run only, not reportable")
    if read.synthetic:
        notes.append("synthetic data: numbers describe the synthetic world, not the real benchmark")
    if text.sweeps and ratio > 0 and token_source == "default":
        notes.append(
            f"method {method.name!r} defines no {text.strategy} token; masked words became {token!r}"
        )
    if len(runs) > 1:
        notes.append(
            f"metrics are the mean of {len(runs)} maskings; metrics_std is their sample std (ddof=1)"
        )
    if skipped:
        notes.append(
            f"{len(skipped)} undecodable gallery images were skipped (--on-bad-image skip); metrics are over "
            "the remaining items, listed in engine.skipped"
        )
    if note := sha256_mismatch(method.card, leg.name, method.weights.sha256, method.weights.path):
        notes.append(note)
    notes.append(MEMO_NOTE)
    conventions = dict(first.conventions)
    conventions["multi_caption"] = MULTI_CAPTION_RULE
    if skipped:
        conventions["skipped_items"] = len(skipped)
    conventions["direction"] = "t2i (query: caption, gallery: image)" + (
        "; i2t_* metrics: the reverse" if text.i2t else ""
    )
    return ResultRecord(
        protocol=ProtocolInfo(
            name=protocol.name,
            version=protocol.version,
            leg=record_leg_name(leg.name, ratio, text),
            title=protocol.title,
            train=[src.model_dump() for src in leg.train],
            test=test,
            evaluation=evaluation.model_dump(),
        ),
        method=MethodInfo(
            name=method.name,
            variant=method.variant,
            adapter_version=method.card.adapter_version,
            weights=method.weights.kind,
            checkpoint_sha256=method.weights.sha256,
            checkpoint_path=method.weights.path,
            dtype=method.dtype,
            test_feature=method.card.test_feature,
            load_report=method.weights.load_report,
        ),
        metrics=metrics,
        metrics_std=metrics_std if len(runs) > 1 else {},
        cmc=cmc,
        conventions=conventions,
        counts=Counts(
            n_query=len(queries.captions), n_gallery=len(gallery), n_valid_query=int(first.n_valid_query)
        ),
        timings_s=timings,
        data={
            leg.test.dataset: {
                "root": str(read.found.root),
                "layout": read.found.layout.variant,
                "synthetic": read.synthetic,
                "manifest_sha256": read.manifest.fingerprint(),
                "counts_ok": read.counts_ok,
                "n_captions": len(queries.captions),
            }
        },
        reportable=method.weights.reportable,
        notes=notes,
        engine={"skipped": skipped} if skipped else {},
        provenance=Provenance(
            **collect(
                device=str(method.device),
                seeds={"torch": SEED, "numpy": SEED, "text_mask": text.seed},
                synthetic_data=read.synthetic,
            )
        ),
    )
