"""Writing result records atomically, and the one validating reader every consumer uses.

Layout: ``<out>/<method>[@<variant>]/<protocol>[@v<N>]/<leg>[+<settings>].json``, the record's
identity (:mod:`harness.results.identity`); a re-run of the same identity replaces the file
atomically (temporary file in the same folder, then ``os.replace``), so a reader never sees half a
record, and a run with other settings never overwrites it. Writers of one record hold a
cross-process lock (``<out>/.locks/<path parts joined by __>.lock``; lock files stay, as
``filelock`` intends, and hold no data), so concurrent runs sharing an output folder replace each
other's record whole, one at a time.

Reading (:func:`read_record`, :func:`read_records`) migrates older schema versions, validates every
block, and checks each metric against the metric registry (registered, finite, within its valid
range): a bad file raises :class:`harness.errors.ResultError` naming the file and the field. Under a
results folder, two files with one identity are an error naming both (nothing is picked silently);
folders holding :data:`COPIES_MARKER` (a leaderboard site's copies of records) are skipped with a
warning.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from harness.atomic import write_json_atomic
from harness.errors import ResultError
from harness.results.identity import RecordKey, record_key, record_relpath
from harness.results.migrate import migrate
from harness.results.schema import SCHEMA_VERSION, ResultRecord

log = logging.getLogger(__name__)

COPIES_MARKER = ".harness-record-copies"
"""A file marking a folder of copied records (``harness leaderboard`` writes it under ``records/``);
:func:`read_records` skips such a folder and says so, so copies are never counted twice."""

LOCK_TIMEOUT_S = 600.0


def result_path(out_dir: Path, record: ResultRecord) -> Path:
    """Where ``record`` is written under ``out_dir`` (its identity as a path)."""
    return Path(out_dir) / record_relpath(record_key(record))


def record_lock(out_dir: Path, record: ResultRecord):
    """The cross-process lock of ``record``'s file under ``out_dir``."""
    from filelock import FileLock

    locks = Path(out_dir) / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    name = "__".join(record_relpath(record_key(record)).with_suffix("").parts)  # one lock per file
    return FileLock(str(locks / f"{name}.lock"), timeout=LOCK_TIMEOUT_S)


def write_record(out_dir: Path, record: ResultRecord) -> Path:
    """Write ``record`` under ``out_dir`` (atomically, under the record's lock) and return its path.

    The record is validated as a reader would validate it first, so an impossible metric (NaN,
    outside its range) is never written.
    """
    path = result_path(out_dir, record)
    check_metrics(record, path)
    with record_lock(out_dir, record):
        write_json_atomic(path, record.model_dump(mode="json"))
    return path


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}" for e in exc.errors()[:5]
    )


def check_metrics(record: ResultRecord, path: Path | str) -> None:
    """Every metric value of ``record`` registered, finite and within its registry range, else
    :class:`ResultError` naming ``path`` and the field."""
    from harness.metrics.registry import find_metric, metric_names

    blocks: list[tuple[str, dict[str, float]]] = [("metrics", record.metrics)]
    blocks += [(f"trial_metrics[{i}]", t) for i, t in enumerate(record.trial_metrics)]
    for where, values in blocks:
        for name, value in values.items():
            info = find_metric(name)
            if info is None:
                known = ", ".join(metric_names(headline=False))
                raise ResultError(f"{path}: {where}.{name}: not a registered metric (registered: {known})")
            if problem := info.problem(value):
                raise ResultError(f"{path}: {where}.{name}: {problem}")
    for name, value in record.metrics_std.items():
        if name not in record.metrics:
            raise ResultError(f"{path}: metrics_std.{name}: no such metric in 'metrics'")
        if not math.isfinite(value) or value < 0:
            raise ResultError(f"{path}: metrics_std.{name}: {value!r} is not a finite non-negative number")
    for i, value in enumerate(record.cmc):
        if not math.isfinite(value) or not -1e-9 <= value <= 1 + 1e-9:
            raise ResultError(f"{path}: cmc[{i}]: {value!r} is not a fraction in [0, 1]")


def read_record(path: Path) -> ResultRecord:
    """Read, migrate and validate one record; any problem raises ``ResultError`` naming the file."""
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultError(f"{path}: cannot read result record ({exc})") from exc
    if not isinstance(raw, dict):
        raise ResultError(f"{path}: a result record is a JSON object, found {type(raw).__name__}")
    raw = migrate(raw, SCHEMA_VERSION, str(path))
    try:
        record = ResultRecord.model_validate(raw)
    except ValidationError as exc:
        raise ResultError(f"{path}: invalid result record ({_problems(exc)})") from exc
    check_metrics(record, path)
    return record


@dataclass(frozen=True)
class RecordFile:
    """One record read from a results folder: where it is, what it holds, and its identity."""

    path: Path
    record: ResultRecord
    key: RecordKey


def iter_record_paths(results_dir: Path) -> list[Path]:
    """Record files under ``results_dir`` (sorted), leaving out hidden files and marked copy folders."""
    base = Path(results_dir)
    copies = sorted(marker.parent for marker in base.rglob(COPIES_MARKER))
    for folder in copies:
        log.warning(
            "%s: skipped (copies of records written by harness leaderboard, marked %s)", folder, COPIES_MARKER
        )
    paths = []
    for path in base.rglob("*.json"):
        rel = path.relative_to(base)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if any(folder == path.parent or folder in path.parents for folder in copies):
            continue
        paths.append(path)
    return sorted(paths)


def read_records(results_dir: Path) -> list[RecordFile]:
    """Every record under ``results_dir``, validated, ordered by identity.

    A missing folder, an invalid file, or two files with the same identity (e.g. a record copied
    inside the results folder) raise :class:`ResultError` naming the file(s).
    """
    base = Path(results_dir)
    if not base.is_dir():
        raise ResultError(f"{base}: no such results folder (expected the records of harness run --out)")
    files: list[RecordFile] = []
    seen: dict[RecordKey, Path] = {}
    for path in iter_record_paths(base):
        record = read_record(path)
        key = record_key(record)
        if key in seen:
            raise ResultError(
                f"{seen[key]} and {path} hold the same result ({key}); keep one of them "
                "(a results folder holds one record per method, protocol version, leg and settings)"
            )
        seen[key] = path
        files.append(RecordFile(path=path, record=record, key=key))
    return sorted(
        files,
        key=lambda f: (
            f.key.method,
            f.key.variant or "",
            f.key.protocol,
            f.key.protocol_version,
            f.key.leg,
            f.key.settings,
        ),
    )


def load_results(results_dir: Path):
    """All records under ``results_dir`` as a pandas DataFrame, one row per record (validated reader).

    Columns: method, variant, weights, protocol, protocol_version, leg, settings (the identity's
    settings slug, '' for defaults), kind (image/text), each metric (record units: fractions),
    ``<metric>_std`` (std over trials or mask repeats; NaN for single evaluations), ``trials`` (list
    of per-trial metric dicts, empty for single evaluations), n_query, n_gallery, n_valid_query,
    reportable, synthetic_data, world_scale, world_seed, timestamp_utc, path.
    """
    import pandas as pd

    from harness.metrics.registry import order_metrics

    rows = []
    names: set[str] = set()
    for f in read_records(results_dir):
        record, key = f.record, f.key
        names |= set(record.metrics)
        world = record.world
        rows.append(
            {
                "method": key.method,
                "variant": key.variant,
                "weights": record.method.weights,
                "protocol": key.protocol,
                "protocol_version": key.protocol_version,
                "leg": key.leg,
                "settings": key.settings,
                "kind": record.protocol.kind,
                **record.metrics,
                **{f"{k}_std": v for k, v in record.metrics_std.items()},
                "trials": [dict(t) for t in record.trial_metrics],
                **record.counts.model_dump(),
                "reportable": record.reportable,
                "synthetic_data": record.provenance.synthetic_data,
                "world_scale": world.scale if world else None,
                "world_seed": world.seed if world else None,
                "timestamp_utc": record.provenance.timestamp_utc,
                "path": str(f.path),
            }
        )
    frame = pd.DataFrame(rows)
    if frame.empty:
        return frame
    metrics = order_metrics(names)
    for column in (*metrics, *(f"{m}_std" for m in metrics)):
        if column not in frame:
            frame[column] = float("nan")
    fixed = ["method", "variant", "weights", "protocol", "protocol_version", "leg", "settings", "kind"]
    rest = [c for c in frame.columns if c not in fixed and c not in metrics and not c.endswith("_std")]
    return frame[[*fixed, *metrics, *(f"{m}_std" for m in metrics), *rest]]
