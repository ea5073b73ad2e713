"""The metric registry: every number a result record carries, named once.

Each :class:`MetricInfo` says what the metric means, its direction, how a record's value (a fraction
in [0, 1] for the retrieval metrics) is scaled and printed (``scale`` x value, ``decimals``), the
range a valid record value lies in, which kinds of leg carry it (``image``, ``text``) and how it is
computed from a :class:`harness.metrics.RetrievalResult` of one direction (``primary``: the leg's own
query -> gallery retrieval; ``i2t``: a text leg's image -> caption retrieval).

The runner, the text legs, the trial aggregation, the record reader, reports, the leaderboard,
``harness check`` and the CLI all read this module: a new metric is one :func:`register_metric`
call with its ``compute`` function.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from harness.registry import Registry

if TYPE_CHECKING:
    from harness.metrics.result import RetrievalResult

LEG_KINDS = ("image", "text")
"""Kinds of leg: ``image`` (image queries) and ``text`` (caption queries)."""

DIRECTIONS = ("primary", "i2t")


@dataclass(frozen=True)
class MetricInfo:
    """One metric. Record values are in the metric's own unit (fractions for retrieval metrics)."""

    name: str
    description: str
    higher_is_better: bool | None = True
    scale: float = 100.0
    """Display value = record value x scale (100: fractions printed as percent)."""
    unit: str = "%"
    """Unit of the display value."""
    headline: bool = True
    """Computed for every leg of a kind in ``kinds`` and shown in run output, tables and checks."""
    decimals: int = 2
    valid_range: tuple[float, float] = (0.0, 1.0)
    """Closed range of a valid record value (the reader refuses values outside it)."""
    kinds: frozenset[str] = field(default_factory=lambda: frozenset(LEG_KINDS))
    direction: str = "primary"
    compute: Callable[[RetrievalResult], float | None] | None = field(default=None, compare=False)
    """Value of the metric for one evaluation (None when it does not apply, e.g. R10 with max_rank 5)."""

    def display(self, value: float) -> float:
        """The record value in display units (percent for fractions)."""
        return value * self.scale

    def format(self, value: float | None, *, display: bool = False) -> str:
        """``value`` as printed (``-`` for None); ``display=True`` when already scaled."""
        if value is None:
            return "-"
        return f"{value if display else self.display(value):.{self.decimals}f}"

    def problem(self, value: object) -> str | None:
        """Why ``value`` (a record value) is invalid for this metric, or None when it is valid."""
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {value!r}"
        if not math.isfinite(value):
            return f"{value!r} is not a finite number"
        low, high = self.valid_range
        if not low - 1e-9 <= value <= high + 1e-9:
            return f"{value!r} is outside the valid range [{low:g}, {high:g}]"
        return None


METRICS: Registry[MetricInfo] = Registry("metric")
_ORDER: list[str] = []
"""Registration order: the column order of every table."""


def register_metric(info: MetricInfo, *aliases: str) -> MetricInfo:
    """Add ``info`` (the one place a metric is named); returns it."""
    if info.direction not in DIRECTIONS:
        raise ValueError(f"metric {info.name!r}: direction must be one of {DIRECTIONS}")
    if not set(info.kinds) <= set(LEG_KINDS):
        raise ValueError(f"metric {info.name!r}: kinds must be among {LEG_KINDS}")
    METRICS.register(info.name, info, aliases=aliases)
    if info.name not in _ORDER:
        _ORDER.append(info.name)
    return info


def metric_info(name: str) -> MetricInfo:
    """The registered metric ``name`` (or an alias such as ``rank-1``)."""
    return METRICS.get(name)


def find_metric(name: str) -> MetricInfo | None:
    """The registered metric ``name``, or None when it is not registered."""
    return METRICS.get(name) if name in METRICS else None


def all_metrics() -> list[MetricInfo]:
    """Every registered metric, in registration (column) order."""
    return [METRICS.get(name) for name in _ORDER]


def metric_names(kind: str | None = None, *, headline: bool = True) -> list[str]:
    """Names of the (headline) metrics of legs of ``kind`` (every kind when None), in column order."""
    return [
        m.name for m in all_metrics() if (m.headline or not headline) and (kind is None or kind in m.kinds)
    ]


def order_metrics(names: Iterable[str]) -> list[str]:
    """``names`` in column order (registered first, in registration order; others after, sorted)."""
    names = set(names)
    known = [n for n in _ORDER if n in names]
    return known + sorted(names - set(known))


def compute_metrics(results: Mapping[str, RetrievalResult], kind: str) -> dict[str, float]:
    """The headline metrics of a ``kind`` leg from its evaluations by direction (``primary``, ``i2t``)."""
    out: dict[str, float] = {}
    for info in all_metrics():
        if not info.headline or kind not in info.kinds or info.compute is None:
            continue
        result = results.get(info.direction)
        if result is None:
            continue
        value = info.compute(result)
        if value is not None:
            out[info.name] = float(value)
    return out


def display_metrics(metrics: Mapping[str, float]) -> dict[str, float]:
    """Record values in display units (percent for fractions); unregistered names are kept as they are."""
    out = {}
    for name, value in metrics.items():
        info = find_metric(name)
        out[name] = info.display(value) if info else value
    return out


def _rank(k: int) -> Callable[[RetrievalResult], float | None]:
    def compute(result: RetrievalResult) -> float | None:
        return float(result.cmc[k - 1]) if k <= len(result.cmc) else None

    return compute


def _register_retrieval(prefix: str, direction: str, kinds: frozenset[str], what: str) -> None:
    for k in (1, 5, 10):
        aliases = () if prefix else (f"rank-{k}", f"rank{k}", f"top{k}")
        register_metric(
            MetricInfo(
                f"{prefix}R{k}",
                f"{what}CMC at rank {k}: fraction of queries whose first true match is in the top {k}",
                kinds=kinds,
                direction=direction,
                compute=_rank(k),
            ),
            *aliases,
        )
    register_metric(
        MetricInfo(
            f"{prefix}mAP",
            f"{what}mean over queries of the step average precision over the whole filtered ranking",
            kinds=kinds,
            direction=direction,
            compute=lambda r: float(r.mAP),
        ),
        *(() if prefix else ("map",)),
    )
    register_metric(
        MetricInfo(
            f"{prefix}mINP",
            f"{what}mean inverse negative penalty: positives / rank of the hardest positive (fast-reid)",
            kinds=kinds,
            direction=direction,
            compute=lambda r: float(r.mINP),
        ),
        *(() if prefix else ("minp",)),
    )


_register_retrieval("", "primary", frozenset(LEG_KINDS), "")
_register_retrieval("i2t_", "i2t", frozenset({"text"}), "image-to-text (images query the captions): ")
