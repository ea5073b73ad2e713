"""The metric registry: every number a result record can carry, with its direction and scale.

Reports, tables, the leaderboard and ``harness check`` look metrics up here, so a new metric is
one line. Values in records are fractions in [0, 1] unless ``unit`` says otherwise; ``scale`` is
the factor a paper-style table applies (100 for percentages).
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.registry import Registry


@dataclass(frozen=True)
class MetricInfo:
    name: str
    description: str
    higher_is_better: bool = True
    scale: float = 100.0
    unit: str = "%"


METRICS: Registry[MetricInfo] = Registry("metric")


def _add(info: MetricInfo, *aliases: str) -> None:
    METRICS.register(info.name, info, aliases=aliases)


for _k in (1, 5, 10, 20):
    _add(
        MetricInfo(
            f"R{_k}", f"CMC at rank {_k}: fraction of queries whose first true match is in the top {_k}"
        ),
        f"rank-{_k}",
        f"rank{_k}",
        f"top{_k}",
    )
_add(
    MetricInfo("mAP", "mean over queries of the step average precision over the whole filtered ranking"),
    "map",
)
_add(
    MetricInfo("mINP", "mean inverse negative penalty: positives / rank of the hardest positive (fast-reid)"),
    "minp",
)


def metric_info(name: str) -> MetricInfo:
    """The registered metric ``name`` (or an alias such as ``rank-1``)."""
    return METRICS.get(name)
