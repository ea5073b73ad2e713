"""Pieces of a ``ResultRecord`` that every leg runner (image and text) fills the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.results.schema import (
    AQESettings,
    CheckpointRef,
    CostInfo,
    EvalConvention,
    MethodInfo,
    ProtocolInfo,
    Provenance,
    RerankSettings,
    Settings,
    TextMaskSettings,
)
from harness.seeding import SEED
from harness.weights import sha256_mismatch

if TYPE_CHECKING:
    from harness.data.base import DatasetRead
    from harness.protocols.spec import EvaluationSpec, LegSpec, ProtocolSpec


def protocol_info(
    protocol: ProtocolSpec,
    leg: LegSpec,
    evaluation: EvaluationSpec,
) -> ProtocolInfo:
    """The protocol block: the protocol's name, version and title, and the leg as the file states it."""
    return ProtocolInfo(
        name=protocol.name,
        version=protocol.version,
        leg=leg.name,
        title=protocol.title,
        train=list(leg.train),
        test=leg.test,
        evaluation=evaluation,
    )


def record_settings(
    method,
    leg: LegSpec,
    evaluation: EvaluationSpec,
    conventions: dict[str, Any],
    *,
    flip: bool,
    text_mask: TextMaskSettings | None = None,
    splits: str | None = None,
) -> Settings:
    """The record's ``settings`` block: every setting that changed its numbers.

    Re-ranking and AQE parameters come from the evaluator's ``conventions`` (what ran, not what was
    asked); the precision from the method (and the card's own, so ``--dtype`` shows); the
    checkpoint's sha256 next to the one its card lists for ``leg``.
    """
    rerank = conventions.get("rerank")
    aqe = conventions.get("aqe")
    normalize = conventions.get("normalize")
    sha = method.weights.sha256
    card_entry = method.card.checkpoint_for(leg.name) if sha else None
    card_sha = (
        card_entry.sha256.strip().lower().removeprefix("sha256:")
        if card_entry and card_entry.sha256
        else None
    )
    return Settings(
        rerank=RerankSettings(**{k: rerank[k] for k in ("k1", "k2", "lambda_value")}) if rerank else None,
        aqe=AQESettings(**{k: aqe[k] for k in ("qe_times", "qe_k", "alpha")}) if aqe else None,
        flip=flip,
        dtype=method.dtype,
        method_dtype=method.card.precision,
        text_mask=text_mask,
        convention=EvalConvention(
            distance=_base_distance(conventions.get("distance", evaluation.distance)),
            normalize=evaluation.normalize if normalize is None else bool(normalize),
            # harness.methods.convention: "method" (the card's own) or "common" (the protocol's)
            source=conventions.get("evaluation_convention", {}).get("name", "protocol"),
        ),
        checkpoint=CheckpointRef(sha256=sha, card_sha256=card_sha) if sha else None,
        splits=splits,
    )


def _base_distance(distance: str) -> str:
    """The distance under a re-ranked one: the evaluator writes ``k-reciprocal(<distance> features)``."""
    prefix = "k-reciprocal("
    return distance[len(prefix) :].split(" ", 1)[0] if distance.startswith(prefix) else distance


def method_info(method) -> MethodInfo:
    """The method block of a loaded (or lazily loaded) method adapter."""
    return MethodInfo(
        name=method.name,
        variant=method.variant,
        adapter_version=method.card.adapter_version,
        weights=method.weights.kind,
        checkpoint_sha256=method.weights.sha256,
        checkpoint_path=method.weights.path,
        dtype=method.dtype,
        test_feature=method.card.test_feature,
        load_report=method.weights.load_report,
    )


def cost_info(profile: dict[str, Any] | None) -> CostInfo | None:
    """The record's ``cost`` block from a ``profile_method`` dict (None when not profiled)."""
    return CostInfo.model_validate(profile) if profile else None


def dataset_info(read: DatasetRead, **extra: Any) -> dict[str, Any]:
    """Where the test data came from: root, layout variant, synthetic or not (with the synthetic
    world's scale and seed from its marker), manifest hash."""
    marker = read.found.synthetic
    world = None
    if marker is not None and "scale" in marker and "seed" in marker:
        world = {
            "scale": marker["scale"],
            "seed": marker["seed"],
            "generator_version": marker.get("generator_version"),
        }
    return {
        "root": str(read.found.root),
        "layout": read.found.layout.variant,
        "synthetic": read.synthetic,
        "manifest_sha256": read.manifest.fingerprint(),
        "counts_ok": read.counts_ok,
        "world": world,
        **extra,
    }


def standard_notes(method, read: DatasetRead, leg: str) -> list[str]:
    """Notes every record carries when they apply: checkpoint hash mismatch, random-init, synthetic."""
    notes = []
    if note := sha256_mismatch(method.card, leg, method.weights.sha256, method.weights.path):
        notes.append(note)
    if not method.weights.reportable:
        notes.append("random-init weights: smoke run only, not reportable")
    if read.synthetic:
        notes.append("synthetic data: numbers describe the synthetic world, not the real benchmark")
    notes += read.notes  # e.g. two layouts of the dataset present at once
    return notes


def provenance(method, read: DatasetRead, **extra_seeds: int) -> Provenance:
    from harness.provenance import collect

    seeds = {"torch": SEED, "numpy": SEED, **extra_seeds}
    return Provenance(**collect(device=str(method.device), seeds=seeds, synthetic_data=read.synthetic))
