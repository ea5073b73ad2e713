"""Pieces of a ``ResultRecord`` that every leg runner (image and text) fills the same way."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from harness.results.schema import MethodInfo, ProtocolInfo, Provenance
from harness.seeding import SEED
from harness.weights import sha256_mismatch

if TYPE_CHECKING:
    from harness.data.base import DatasetRead
    from harness.protocols.spec import EvaluationSpec, LegSpec, ProtocolSpec


def protocol_info(
    protocol: ProtocolSpec,
    leg: LegSpec,
    evaluation: EvaluationSpec,
    *,
    leg_name: str | None = None,
    test: dict[str, Any] | None = None,
) -> ProtocolInfo:
    """The protocol block; ``leg_name``/``test`` override the leg's (text-mask sweeps do)."""
    return ProtocolInfo(
        name=protocol.name,
        version=protocol.version,
        leg=leg_name or leg.name,
        title=protocol.title,
        train=[src.model_dump() for src in leg.train],
        test=test if test is not None else leg.test.model_dump(),
        evaluation=evaluation.model_dump(),
    )


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


def dataset_info(read: DatasetRead, **extra: Any) -> dict[str, Any]:
    """Where the test data came from: root, layout variant, synthetic or not, manifest hash."""
    return {
        "root": str(read.found.root),
        "layout": read.found.layout.variant,
        "synthetic": read.synthetic,
        "manifest_sha256": read.manifest.fingerprint(),
        "counts_ok": read.counts_ok,
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
    return notes


def provenance(method, read: DatasetRead, **extra_seeds: int) -> Provenance:
    from harness.provenance import collect

    seeds = {"torch": SEED, "numpy": SEED, **extra_seeds}
    return Provenance(**collect(device=str(method.device), seeds=seeds, synthetic_data=read.synthetic))
