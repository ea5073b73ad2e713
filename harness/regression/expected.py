"""The expected-numbers file (YAML): what a results folder must reproduce, and how closely.

Format::

    description: free text
    run: {method: hsv-hist, world: {scale: tiny, seed: 0}, protocols: [single]}   # how to re-create
    tolerances: {default: 0.5, R1: 0.5, mAP: 0.5}    # absolute, in the metric's printed unit
    entries:
      - {method: hsv-hist, protocol: single, leg: market1501, metrics: {R1: 81.25, mAP: 71.53}}

Metric values are in percent for R1/R5/R10/mAP/mINP (record fractions x100), like the reports.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.atomic import write_text_atomic
from harness.errors import ConfigError, ResultError
from harness.reports.measured import Measured

DEFAULT_TOLERANCE = 0.5
DECIMALS = 4


@dataclass
class ExpectedEntry:
    """Expected metrics of one (method, protocol, leg)."""

    method: str
    protocol: str
    leg: str
    metrics: dict[str, float]

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.method, self.protocol, self.leg)


@dataclass
class Expected:
    """A whole expected file: entries, tolerances and the free-form header blocks kept on update."""

    path: Path
    entries: list[ExpectedEntry]
    tolerances: dict[str, float] = field(default_factory=lambda: {"default": DEFAULT_TOLERANCE})
    description: str = ""
    run: dict[str, Any] = field(default_factory=dict)

    def tolerance(self, metric: str) -> float:
        """The absolute tolerance of ``metric`` (its own, else ``default``)."""
        return float(self.tolerances.get(metric, self.tolerances.get("default", DEFAULT_TOLERANCE)))

    def to_yaml(self) -> str:
        payload: dict[str, Any] = {}
        if self.description:
            payload["description"] = self.description
        if self.run:
            payload["run"] = self.run
        payload["tolerances"] = self.tolerances
        payload["entries"] = [
            {
                "method": e.method,
                "protocol": e.protocol,
                "leg": e.leg,
                "metrics": {k: round(float(v), DECIMALS) for k, v in sorted(e.metrics.items())},
            }
            for e in sorted(self.entries, key=lambda e: e.key)
        ]
        header = (
            "# Expected numbers for `harness check`\n"
            "# (percent for R1/R5/R10/mAP/mINP; tolerances are absolute, in the same unit).\n"
            "# Re-create with: harness check RESULTS --expected THIS_FILE --update\n"
        )
        return header + yaml.safe_dump(payload, sort_keys=False, allow_unicode=True, width=100)


def _fail(path: Path, message: str) -> ResultError:
    return ResultError(f"{path}: {message}")


def load_expected(path: Path) -> Expected:
    """Read and validate an expected file; a malformed one raises :class:`ResultError` naming the key."""
    path = Path(path)
    from harness.yamlio import load_yaml

    raw = load_yaml(path, what="expected numbers", error=ResultError)
    if not isinstance(raw, dict):
        raise _fail(path, "expected a mapping with 'tolerances' and 'entries'")
    tolerances = raw.get("tolerances") or {"default": DEFAULT_TOLERANCE}
    if not isinstance(tolerances, dict) or not all(
        isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in tolerances.values()
    ):
        raise _fail(path, "key 'tolerances' must map metric names to non-negative numbers")
    entries_raw = raw.get("entries")
    if not isinstance(entries_raw, list):
        raise _fail(path, "key 'entries' must be a list")
    entries, seen = [], set()
    for i, e in enumerate(entries_raw):
        where = f"entries[{i}]"
        if not isinstance(e, dict):
            raise _fail(path, f"{where} must be a mapping")
        for key in ("method", "protocol", "leg"):
            if not isinstance(e.get(key), str) or not e[key]:
                raise _fail(path, f"{where}: key {key!r} must be a non-empty string")
        metrics = e.get("metrics")
        if not isinstance(metrics, dict) or not metrics:
            raise _fail(path, f"{where}: key 'metrics' must map metric names to numbers")
        for name, value in metrics.items():
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise _fail(path, f"{where}: metrics.{name} must be a number, got {value!r}")
        entry = ExpectedEntry(
            e["method"], e["protocol"], e["leg"], {str(k): float(v) for k, v in metrics.items()}
        )
        if entry.key in seen:
            raise _fail(path, f"{where}: duplicates {'/'.join(entry.key)}")
        seen.add(entry.key)
        entries.append(entry)
    run = raw.get("run") or {}
    if not isinstance(run, dict):
        raise _fail(path, "key 'run' must be a mapping")
    return Expected(
        path=path,
        entries=entries,
        tolerances={str(k): float(v) for k, v in tolerances.items()},
        description=str(raw.get("description") or ""),
        run=run,
    )


def parse_tolerances(items: list[str]) -> dict[str, float]:
    """``["R1=0.3", "mAP=1"]`` -> ``{"R1": 0.3, "mAP": 1.0}`` (``--tol`` options)."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not sep or not name or number < 0:
            raise ConfigError(
                f"--tol {item!r}: expected METRIC=VALUE with a non-negative number, e.g. R1=0.5"
            )
        out[name] = number
    return out


def update_expected(expected: Expected, results: list[Measured], *, create: bool = False) -> str:
    """Rewrite ``expected`` from ``results`` (same metrics kept per entry; all headline metrics for a
    new entry) and return the unified diff of the file. Entries with no result are kept as they were.
    """
    before = expected.path.read_text(encoding="utf-8") if expected.path.is_file() else ""
    by_key = {e.key: e for e in expected.entries}
    for m in results:
        key = (m.method, m.protocol, m.leg)
        old = by_key.get(key)
        names = list(old.metrics) if old else sorted(m.metrics)
        by_key[key] = ExpectedEntry(*key, {n: m.metrics[n] for n in names if n in m.metrics})
    expected.entries = list(by_key.values())
    after = expected.to_yaml()
    write_text_atomic(expected.path, after)
    diff = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{expected.path} (before)",
        tofile=f"{expected.path} (after)",
    )
    return "".join(diff)
