"""The expected-numbers file (YAML): what a results folder must reproduce, and how closely.

Format::

    description: free text
    run: {method: hsv-hist, world: {scale: tiny, seed: 0}, protocols: [single]}   # how to re-create
    tolerances: {default: 0.5, R1: 0.5, mAP: 0.5}    # absolute, in the metric's printed unit
    entries:
      - {method: hsv-hist, protocol: single, leg: market1501, metrics: {R1: 81.25, mAP: 71.53}}
      - {method: attr-match, protocol: textmask, leg: rstpreid, settings: mask0.3, metrics: {R1: 40.0}}

An entry names a record identity (:class:`harness.results.identity.RecordKey`, the one identity
the record path, the paper tables and the leaderboard use): ``method`` (``name[variant]`` for a
variant), ``protocol``, ``protocol_version`` (default 1), ``leg`` and ``settings`` (the record's
settings slug, default none: ``flip``, ``rerank``, ``bf16``, ``mask0.3``, ``w-1a2b3c4d``...). The
printed spellings are read too (``protocol: single@v2``, ``leg: market1501+flip``, and the
schema-1 ``leg: cuhk-pedes@mask0.3``), and ``--update`` writes them back in the field form.
Metric values are in the metric registry's display units (percent for R1/R5/R10/mAP/mINP:
record fractions x100), like the reports. Every number (values and tolerances) must be finite.
``run.world`` names the synthetic world the numbers are for; ``harness
check`` refuses records of another world.
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.atomic import write_text_atomic
from harness.errors import ConfigError, ResultError
from harness.metrics.registry import order_metrics
from harness.reports.measured import Measured
from harness.results.identity import RecordKey
from harness.results.migrate import MASK_LEG

DEFAULT_TOLERANCE = 0.5
DECIMALS = 4


@dataclass
class ExpectedEntry:
    """Expected metrics of one record identity (:class:`harness.results.identity.RecordKey`)."""

    key: RecordKey
    metrics: dict[str, float]


def record_identity(m: Measured) -> RecordKey:
    """The identity a measured record is checked under: its record identity, the one the record
    path, the tables and the leaderboard use (:func:`harness.results.identity.record_key`)."""
    if m.key is None:  # pragma: no cover - from_record always sets it
        raise ResultError(f"{m.path}: the record has no identity")
    return m.key


def world_of(expected: Expected) -> dict[str, Any] | None:
    """The synthetic world ``{scale, seed}`` the expected numbers are for (``run.world``), or None."""
    world = expected.run.get("world") if isinstance(expected.run, dict) else None
    return world if isinstance(world, dict) else None


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
        payload["entries"] = [_entry_yaml(e) for e in sorted(self.entries, key=lambda e: e.key.sort_key)]
        header = (
            "# Expected numbers for `harness check`\n"
            "# (percent for R1/R5/R10/mAP/mINP; tolerances are absolute, in the same unit).\n"
            "# Re-create with: harness check RESULTS --expected THIS_FILE --update\n"
        )
        return header + yaml.safe_dump(payload, sort_keys=False, allow_unicode=True, width=100)


def _entry_yaml(e: ExpectedEntry) -> dict[str, Any]:
    key = e.key
    out: dict[str, Any] = {"method": key.method_label, "protocol": key.protocol}
    if key.protocol_version != 1:
        out["protocol_version"] = key.protocol_version
    out["leg"] = key.leg
    if key.settings:
        out["settings"] = key.settings
    out["metrics"] = {k: round(float(e.metrics[k]), DECIMALS) for k in order_metrics(e.metrics)}
    return out


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


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
    if not isinstance(tolerances, dict) or not all(_number(v) and v >= 0 for v in tolerances.values()):
        raise _fail(path, "key 'tolerances' must map metric names to finite non-negative numbers")
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
            if not _number(value):
                raise _fail(path, f"{where}: metrics.{name} must be a finite number, got {value!r}")
        version = e.get("protocol_version", 1)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise _fail(path, f"{where}: key 'protocol_version' must be a positive integer, got {version!r}")
        settings = e.get("settings", "")
        if not isinstance(settings, str):
            raise _fail(
                path, f"{where}: key 'settings' must be a settings slug such as 'flip', got {settings!r}"
            )
        leg = e["leg"]
        if not settings and (m := MASK_LEG.match(leg)):  # schema-1 spelling: cuhk-pedes@mask0.3
            leg, settings = m.group("leg"), f"mask{m.group('ratio')}"
        try:
            key = _canonical(RecordKey.parse(e["method"], e["protocol"], leg, version, settings))
        except ValueError as exc:
            raise _fail(path, f"{where}: {exc}") from None
        entry = ExpectedEntry(key, {str(k): float(v) for k, v in metrics.items()})
        if entry.key in seen:
            raise _fail(path, f"{where}: duplicates {'/'.join(entry.key.columns())}")
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


def _canonical(key: RecordKey) -> RecordKey:
    """A hand-written entry in the spelling records use: method and protocol aliases resolved through
    their registries (``hsv`` -> ``hsv-hist``, ``sdl`` -> ``single``; a name no registry knows is
    kept: it may be a user's method), the settings slug in canonical order and form."""
    from dataclasses import replace

    from harness.errors import RegistryError
    from harness.methods.registry import METHODS
    from harness.protocols.registry import PROTOCOLS
    from harness.results.identity import canonical_slug

    names = {}
    for field_name, registry in (("method", METHODS), ("protocol", PROTOCOLS)):
        try:
            names[field_name] = registry.canonical(getattr(key, field_name))
        except RegistryError:
            names[field_name] = getattr(key, field_name)
    return replace(key, **names, settings=canonical_slug(key.settings))


def parse_tolerances(items: list[str]) -> dict[str, float]:
    """``["R1=0.3", "mAP=1"]`` -> ``{"R1": 0.3, "mAP": 1.0}`` (``--tol`` options)."""
    out: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            number = float(value)
        except ValueError:
            number = -1.0
        if not sep or not name or not math.isfinite(number) or number < 0:
            raise ConfigError(
                f"--tol {item!r}: expected METRIC=VALUE with a finite non-negative number, e.g. R1=0.5"
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
        key = record_identity(m)
        old = by_key.get(key)
        names = list(old.metrics) if old else order_metrics(m.metrics)
        values = {n: m.metrics[n] for n in names if n in m.metrics}
        for name, value in values.items():
            if not _number(value):  # the record reader refuses these; never write one to the file
                raise ResultError(f"{m.path}: metrics.{name}: {value!r} is not a finite number")
        by_key[key] = ExpectedEntry(key, values)
    expected.entries = list(by_key.values())
    if world_of(expected) is None:  # record the synthetic world, so check can refuse another one
        worlds = {(m.world["scale"], m.world["seed"]) for m in results if m.world is not None}
        if len(worlds) == 1:
            [(scale, seed)] = worlds
            expected.run = {**(expected.run or {}), "world": {"scale": scale, "seed": seed}}
    after = expected.to_yaml()
    write_text_atomic(expected.path, after)
    diff = difflib.unified_diff(
        before.splitlines(keepends=True),
        after.splitlines(keepends=True),
        fromfile=f"{expected.path} (before)",
        tofile=f"{expected.path} (after)",
    )
    return "".join(diff)
