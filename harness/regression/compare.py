"""Compare results with expected numbers, metric by metric, with absolute tolerances.

Status of one metric: ``ok`` (within tolerance), ``regressed`` (worse than expected by more than the
tolerance; for a metric without a direction, any change beyond it), ``improved`` (better beyond it:
reported, and a failure only with ``strict``), ``missing`` (no result, or the result lacks the
metric: a failure). Results that the expected file does not mention are listed as ``new``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import ResultError
from harness.metrics.registry import find_metric
from harness.regression.expected import EntryKey, Expected, label, measured_key
from harness.reports.measured import Measured

FAILING = frozenset({"regressed", "missing"})


@dataclass(frozen=True)
class CheckRow:
    """One compared metric. ``protocol`` carries ``@vN`` for protocol versions other than 1, ``leg``
    the record's settings slug (``market1501+flip``)."""

    method: str
    protocol: str
    leg: str
    metric: str
    expected: float | None
    actual: float | None
    tolerance: float
    status: str

    @property
    def diff(self) -> float | None:
        if self.expected is None or self.actual is None:
            return None
        return self.actual - self.expected


@dataclass
class CheckSummary:
    """All compared metrics and whether the check passes."""

    rows: list[CheckRow] = field(default_factory=list)
    strict: bool = False

    @property
    def failures(self) -> list[CheckRow]:
        failing = FAILING | {"improved"} if self.strict else FAILING
        return [r for r in self.rows if r.status in failing]

    @property
    def passed(self) -> bool:
        return not self.failures


def _status(metric: str, expected: float, actual: float, tol: float) -> str:
    diff = actual - expected
    if abs(diff) <= tol + 1e-9:
        return "ok"
    info = find_metric(metric)
    direction = info.higher_is_better if info else None
    if direction is None:
        return "regressed"
    better = diff > 0 if direction else diff < 0
    return "improved" if better else "regressed"


def compare(
    expected: Expected,
    results: list[Measured],
    *,
    tolerances: dict[str, float] | None = None,
    strict: bool = False,
) -> CheckSummary:
    """Check every expected metric against ``results`` (``tolerances`` override the file's)."""
    overrides = tolerances or {}
    by_key: dict[EntryKey, Measured] = {}
    for m in results:
        key = measured_key(m)
        if key in by_key:  # read_records refuses these already; never pick one copy silently
            raise ResultError(
                f"{by_key[key].path} and {m.path} hold the same result ({'/'.join(label(key))})"
            )
        by_key[key] = m
    summary = CheckSummary(strict=strict)
    for entry in sorted(expected.entries, key=lambda e: e.key):
        found = by_key.pop(entry.key, None)
        for metric, want in sorted(entry.metrics.items()):
            tol = overrides.get(metric, overrides.get("default", expected.tolerance(metric)))
            got = found.metrics.get(metric) if found else None
            status = "missing" if got is None else _status(metric, want, got, tol)
            summary.rows.append(CheckRow(*label(entry.key), metric, want, got, tol, status))
    for key, m in sorted(by_key.items()):
        for metric, got in sorted(m.metrics.items()):
            summary.rows.append(CheckRow(*label(key), metric, None, got, 0.0, "new"))
    return summary
