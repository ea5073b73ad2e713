"""Compare results with expected numbers, metric by metric, with absolute tolerances.

Status of one metric: ``ok`` (within tolerance), ``regressed`` (worse than expected by more than the
tolerance; for a metric without a direction, any change beyond it), ``improved`` (better beyond it:
reported, and a failure only with ``strict``), ``missing`` (no result, or the result lacks the
metric: a failure). Results that the expected file does not mention are listed as ``new``.

An entry and a record are compared only when their record identities are equal
(:class:`harness.results.identity.RecordKey`: method and variant, protocol and protocol version,
leg, and the settings slug: re-ranking, AQE, flip, precision, text mask, distance, checkpoint), the
identity the record path, the paper tables and the leaderboard use. A training protocol (``single``
vs ``jmcm``) and a training-source choice (MSMT17 train vs all: ``cross/MS-M`` vs ``cross/MSall-M``)
are protocols and legs of their own. A missing entry whose nearest unmatched record differs only in
protocol version or settings gets a one-line ``note`` naming what differs (never compared).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import ResultError
from harness.metrics.registry import find_metric
from harness.regression.expected import Expected, record_identity
from harness.reports.measured import Measured
from harness.results.identity import RecordKey

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
    note: str = ""
    """Why a missing entry found no record: the nearest record and what differs (one line)."""

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

    @property
    def notes(self) -> list[str]:
        """One line per missing entry that has a near record (another protocol version or settings)."""
        seen: dict[str, None] = {}
        for r in self.rows:
            if r.note:
                seen.setdefault(f"{r.method}/{r.protocol}/{r.leg}: {r.note}")
        return list(seen)


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
    by_key: dict[RecordKey, Measured] = {}
    for m in results:
        key = record_identity(m)
        if key in by_key:  # read_records refuses these already; never pick one copy silently
            raise ResultError(f"{by_key[key].path} and {m.path} hold the same result ({key})")
        by_key[key] = m
    matched = {e.key for e in expected.entries if e.key in by_key}
    unmatched = [m for k, m in by_key.items() if k not in matched]
    summary = CheckSummary(strict=strict)
    for entry in sorted(expected.entries, key=lambda e: e.key.sort_key):
        found = by_key.pop(entry.key, None)
        note = "" if found else _near(entry.key, unmatched)
        for metric, want in sorted(entry.metrics.items()):
            tol = overrides.get(metric, overrides.get("default", expected.tolerance(metric)))
            got = found.metrics.get(metric) if found else None
            status = "missing" if got is None else _status(metric, want, got, tol)
            summary.rows.append(CheckRow(*entry.key.columns(), metric, want, got, tol, status, note))
    for key, m in sorted(by_key.items(), key=lambda km: km[0].sort_key):
        for metric, got in sorted(m.metrics.items()):
            summary.rows.append(CheckRow(*key.columns(), metric, None, got, 0.0, "new"))
    return summary


_NEAR_FIELDS = {"protocol_version", "settings"}


def _near(key: RecordKey, records: list[Measured]) -> str:
    """A record of the same method, protocol and leg as a missing entry, in another protocol version
    or settings (never compared with it): one line naming it and what differs; else ''."""
    near = []
    for m in records:
        other = record_identity(m)
        fields = {
            name
            for name in ("method", "variant", "protocol", "protocol_version", "leg", "settings")
            if getattr(key, name) != getattr(other, name)
        }
        if fields <= _NEAR_FIELDS:
            parts = set(key.settings.split("+")) ^ set(other.settings.split("+"))
            near.append((len(fields), len(parts - {""}), "protocol_version" not in fields, m.path, other))
    if not near:
        return ""
    *_, path, other = min(near, key=lambda n: n[:4])  # fewest fields, then fewest settings parts apart
    what = ", ".join(f"{name} {mine}" for name, mine, _ in other.differences(key))
    wanted = ", ".join(f"{name} {theirs}" for name, _, theirs in other.differences(key))
    return f"not compared with {path}: it has {what}; the entry wants {wanted} (re-run that, or --update)"
