"""Writing result records atomically and reading them back.

Layout: ``<out>/<method>[@<variant>]/<protocol>/<leg>.json``; a re-run replaces the file atomically
(temporary file in the same folder, then ``os.replace``), so a reader never sees half a record.
Writers of one record hold a cross-process lock
(``<out>/.locks/<method>[@<variant>]__<protocol>__<leg>.lock``; lock files stay, as ``filelock``
intends, and hold no data), so concurrent runs sharing an output folder replace each other's record
whole, one at a time.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from harness.atomic import write_json_atomic
from harness.errors import ResultError
from harness.results.schema import SCHEMA_VERSION, ResultRecord


def _safe(part: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.+@" else "_" for c in part)


def result_path(out_dir: Path, record: ResultRecord) -> Path:
    """``<out>/<method>[@<variant>]/<protocol>/<leg>.json``: variants never overwrite each other."""
    method = record.method.name + (f"@{record.method.variant}" if record.method.variant else "")
    return Path(out_dir) / _safe(method) / _safe(record.protocol.name) / f"{_safe(record.protocol.leg)}.json"


LOCK_TIMEOUT_S = 600.0


def record_lock(out_dir: Path, record: ResultRecord):
    """The cross-process lock of ``record``'s file under ``out_dir``."""
    from filelock import FileLock

    locks = Path(out_dir) / ".locks"
    locks.mkdir(parents=True, exist_ok=True)
    name = "__".join(result_path(Path(), record).with_suffix("").parts)  # one lock per record file
    return FileLock(str(locks / f"{name}.lock"), timeout=LOCK_TIMEOUT_S)


def write_record(out_dir: Path, record: ResultRecord) -> Path:
    """Write ``record`` under ``out_dir`` (atomically, under the record's lock) and return its path."""
    path = result_path(out_dir, record)
    with record_lock(out_dir, record):
        write_json_atomic(path, record.model_dump(mode="json"))
    return path


def read_record(path: Path) -> ResultRecord:
    """Read one record; unreadable files and unknown schema versions raise ``ResultError``."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ResultError(f"{path}: cannot read result record ({exc})") from exc
    version = raw.get("schema_version") if isinstance(raw, dict) else None
    if version != SCHEMA_VERSION:
        raise ResultError(f"{path}: schema_version {version!r} is not supported (expected {SCHEMA_VERSION})")
    try:
        return ResultRecord.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
        raise ResultError(f"{path}: invalid result record ({problems})") from exc


def iter_record_paths(results_dir: Path) -> list[Path]:
    return sorted(p for p in Path(results_dir).rglob("*.json") if not p.name.startswith("."))


def load_results(results_dir: Path):
    """All records under ``results_dir`` as a pandas DataFrame, one row per record.

    Columns: method, variant, weights, protocol, protocol_version, leg, the metrics (fractions),
    per metric ``<metric>_std`` (ddof=0 over trials or mask repeats; absent for single-split legs) and
    ``<metric>_ci_low`` / ``<metric>_ci_high`` (bootstrap interval; absent in older records),
    ``ci_level``, ``ci_scheme``, ``trial_metrics`` (list of per-trial metric dicts, empty for one
    split), ``per_query`` (path of the per-query file, None in older records), n_query, n_gallery,
    n_valid_query, reportable, synthetic_data, timestamp_utc, path.
    """
    import pandas as pd

    rows = []
    for path in iter_record_paths(results_dir):
        record = read_record(path)
        rows.append(
            {
                "method": record.method.name,
                "variant": record.method.variant,
                "weights": record.method.weights,
                "protocol": record.protocol.name,
                "protocol_version": record.protocol.version,
                "leg": record.protocol.leg,
                **record.metrics,
                **{f"{k}_std": v for k, v in record.metrics_std.items()},
                **_interval_columns(record),
                "trial_metrics": list(record.trial_metrics),
                "per_query": (
                    str(path.with_name(record.per_query.file)) if record.per_query is not None else None
                ),
                **record.counts.model_dump(),
                "reportable": record.reportable,
                "synthetic_data": record.provenance.synthetic_data,
                "timestamp_utc": record.provenance.timestamp_utc,
                "path": str(path),
            }
        )
    return pd.DataFrame(rows)


def _interval_columns(record: ResultRecord) -> dict:
    iv = record.intervals
    if iv is None:
        return {"ci_level": None, "ci_scheme": None}
    cols: dict = {"ci_level": iv.level, "ci_scheme": iv.scheme}
    for name, bounds in iv.metrics.items():
        cols[f"{name}_ci_low"] = bounds.low
        cols[f"{name}_ci_high"] = bounds.high
    return cols
