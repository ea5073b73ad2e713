from __future__ import annotations

import pytest

from harness.errors import RegistryError
from harness.metrics.registry import METRICS, metric_info


def test_headline_metrics_are_registered() -> None:
    for name in ("R1", "R5", "R10", "mAP", "mINP"):
        info = metric_info(name)
        assert info.higher_is_better and info.scale == 100.0
    assert metric_info("rank-1").name == "R1"
    assert "r1" in METRICS  # names are case-insensitive


def test_unknown_metric_suggests() -> None:
    with pytest.raises(RegistryError, match="Did you mean 'mINP'"):
        metric_info("mINPP")
