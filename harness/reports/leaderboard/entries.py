"""Leaderboard entries: one per (method, protocol, training sets, target, setting), reported or measured.

Reported entries come from the comparison, robustness and complexity tables (ablations, statistics
and printed Average columns are left out); measured entries from result records (metrics x100).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from harness.metrics.registry import metric_info, metric_names
from harness.reported import load_reported, paper_info, table_meta
from harness.reported.schema import split_sets
from harness.reports.measured import Measured, from_record
from harness.results.io import read_records
from harness.results.schema import ResultRecord

LEADERBOARD_KINDS = frozenset({"comparison", "robustness", "complexity"})


@dataclass
class Entry:
    """One leaderboard row."""

    protocol: str
    method: str
    source: str
    """``reported`` or ``measured``."""
    train: tuple[str, ...]
    target: str
    setting: str
    metrics: dict[str, float]
    reference: str
    """Reported: "<paper method> <table label>"; measured: the record's path inside the site."""
    detail: str = ""
    """Reported: the seed line; measured: a provenance summary."""
    reportable: bool = True
    why_not: str = ""
    record_path: str = ""
    extra: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)
    """Metric values as printed by the paper (reported entries)."""
    ci: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Measured: each metric's 95% bootstrap interval (same scale as ``metrics``)."""
    marks: dict[str, str] = field(default_factory=dict)
    """Measured: each metric's paired-significance mark (``*`` / ``°``), set by
    :func:`harness.reports.significance.annotate_entries`."""

    def text(self, metric: str) -> str:
        """The value with the metric registry's decimals (the detail page shows ``texts`` beside it)."""
        value = self.metrics.get(metric)
        return "" if value is None else metric_info(metric).format(value, display=True)


def reported_entries() -> list[Entry]:
    """Entries for every reported line of a comparison/robustness/complexity table (Average excluded)."""
    df = load_reported()
    df = df[(df["status"] == "reported") & df["metric"].isin(metric_names()) & (df["target"] != "average")]
    entries: dict[tuple, Entry] = {}
    for rec in df.itertuples(index=False):
        meta = table_meta(rec.paper, rec.table)
        if meta.kind not in LEADERBOARD_KINDS:
            continue
        key = (
            rec.paper,
            rec.table,
            rec.row,
            rec.method,
            rec.protocol,
            rec.training_set,
            rec.target,
            rec.setting,
        )
        entry = entries.get(key)
        if entry is None:
            info = paper_info(rec.paper)
            extra = {"kind": str(meta.kind)}
            leg = _reported_leg(rec._asdict(), str(meta.kind))
            if leg:
                extra["leg"] = leg
            entry = entries[key] = Entry(
                protocol=str(rec.protocol),
                method=str(rec.method),
                source="reported",
                train=tuple(split_sets(str(rec.training_set))),
                target=str(rec.target),
                setting="" if rec.setting == "single" else str(rec.setting),  # single-model = no re-ranking
                metrics={},
                reference=f"{info.method} {meta.label}",
                detail=f"{info.seed_file} line {rec.source_line}",
                extra=extra,
            )
        entry.metrics[str(rec.metric)] = float(rec.value)
        entry.texts[str(rec.metric)] = str(rec.value_text)
    return list(entries.values())


def _reported_leg(line: dict, kind: str) -> str:
    """The registry leg a reported line reproduces (its cell identity, :mod:`harness.reported.cells`),
    or '' when it names none (the board then gives it a column of its own)."""
    from harness.errors import ResultError
    from harness.reported.cells import CellRef, cell_identity

    try:
        ident = cell_identity(line, kind=kind)
    except ResultError:
        return ""
    return ident.leg if isinstance(ident, CellRef) and ident.protocol == line["protocol"] else ""


def _provenance(record: ResultRecord) -> str:
    p = record.provenance
    sha = (p.git_sha or "unknown")[:10] + ("+dirty" if p.git_dirty else "")
    return (
        f"harness {p.harness_version}, git {sha}, {p.device_name or p.device}, torch {p.torch}, "
        f"{p.timestamp_utc}; weights {record.method.weights}; {record.counts.n_query} queries / "
        f"{record.counts.n_gallery} gallery"
    )


def measured_entry(record: ResultRecord, measured: Measured, record_path: str) -> Entry:
    """The entry of one result record; ``record_path`` is where the page links to it."""
    return Entry(
        protocol=measured.protocol,
        method=measured.method,
        source="measured",
        train=tuple(sorted(measured.train)),
        target=measured.target,
        setting=_setting(measured),
        metrics={k: v for k, v in measured.metrics.items() if k in metric_names()},
        reference=record_path,
        detail=_provenance(record),
        reportable=not measured.nonreportable,
        why_not=measured.why_not_reportable if measured.nonreportable else "",
        record_path=record_path,
        extra={"leg": measured.key.leg_label if measured.key else measured.leg, "record": measured.path},
        ci={k: v for k, v in (measured.ci or {}).items() if k in metric_names()},
    )


def _setting(m: Measured) -> str:
    """The reported tables' setting name where one applies, else the record identity's settings slug
    (:class:`harness.results.identity.RecordKey`, the key ``harness check`` uses too; ``random-init``
    left out: the row is marked not reportable). Records of one method whose identities differ only in
    the leg share a row; any other difference (flip, precision, checkpoint...) is a row of its own."""
    parts = [p for p in (m.settings.split("+") if m.settings else []) if p != "random-init"]
    if m.mask_ratio is not None and len(parts) == 1 and parts[0].startswith("mask"):
        return f"mask_ratio={m.mask_ratio:g}"
    if m.rerank and parts == ["rerank"]:
        return "re-ranking"
    return "+".join(parts)


def load_records(results_dir: Path) -> list[tuple[Path, ResultRecord, Measured]]:
    """``(path, record, flattened)`` for every record under ``results_dir`` (the validating reader)."""
    return [(f.path, f.record, from_record(f.record, f.path)) for f in read_records(Path(results_dir))]


def leaderboard_entries(measured: list[Entry] | None = None) -> dict[str, list[Entry]]:
    """Reported entries plus ``measured`` ones, by protocol (sorted by name)."""
    by_protocol: dict[str, list[Entry]] = {}
    for entry in [*reported_entries(), *(measured or [])]:
        by_protocol.setdefault(entry.protocol, []).append(entry)
    return dict(sorted(by_protocol.items()))
