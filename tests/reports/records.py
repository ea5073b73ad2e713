"""Build small, valid result records for report tests (no model run needed)."""

from __future__ import annotations

from pathlib import Path

from harness.results.io import write_record
from harness.results.schema import (
    Counts,
    MethodInfo,
    ProtocolInfo,
    Provenance,
    RerankSettings,
    ResultRecord,
    Settings,
    TextMaskSettings,
)


def make_record(
    method: str,
    protocol: str,
    leg: str,
    *,
    target: str,
    train: list[str] | None = None,
    metrics: dict[str, float] | None = None,
    rerank: bool = False,
    mask_ratio: float | None = None,
    test_extra: dict | None = None,
    reportable: bool = True,
    synthetic: bool = False,
    cmc: list[float] | None = None,
) -> ResultRecord:
    """A record of ``method`` on ``protocol``/``leg`` (metric values are fractions); ``rerank`` and
    ``mask_ratio`` fill the record's settings."""
    return ResultRecord(
        protocol=ProtocolInfo(
            name=protocol,
            version=1,
            leg=leg,
            train=[{"dataset": d, "parts": ["train"]} for d in (train if train is not None else [target])],
            test={"dataset": target, "query": "query", "gallery": "gallery", **(test_extra or {})},
            evaluation={"rerank": rerank},
        ),
        method=MethodInfo(name=method, weights="checkpoint" if reportable else "random-init"),
        settings=Settings(
            rerank=RerankSettings() if rerank else None,
            text_mask=None if mask_ratio is None else TextMaskSettings(ratio=mask_ratio),
        ),
        metrics=metrics or {"R1": 0.5, "mAP": 0.4},
        cmc=cmc or [0.5, 0.6, 0.7, 0.8, 0.9],
        counts=Counts(n_query=10, n_gallery=20, n_valid_query=10),
        reportable=reportable,
        provenance=Provenance(
            harness_version="0",
            git_sha=None,
            git_dirty=None,
            python="3.11",
            torch="2",
            cuda=None,
            cuda_available=False,
            device="cpu",
            device_name="cpu",
            platform="test",
            seeds={"torch": 0},
            command="test",
            timestamp_utc="2025-01-01T00:00:00Z",
            synthetic_data=synthetic,
        ),
    )


def write_records(root: Path, records: list[ResultRecord]) -> Path:
    for record in records:
        write_record(root, record)
    return root
