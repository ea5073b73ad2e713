"""Write the leaderboard site: ``index.html``, ``<protocol>.html``, ``leaderboard.md`` and ``records/``."""

from __future__ import annotations

import html
import shutil
from pathlib import Path

from harness.atomic import write_text_atomic
from harness.metrics.registry import metric_names
from harness.reported import DATASETS, PROTOCOLS
from harness.reports.leaderboard.assets import CSS, JS
from harness.reports.leaderboard.entries import (
    Entry,
    leaderboard_entries,
    load_records,
    measured_entry,
)
from harness.results.io import COPIES_MARKER

NONREPORTABLE = "†"


def _order(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.target, e.setting, -(e.metrics.get("R1") or -1.0), e.method))


def _metrics(entries: list[Entry]) -> list[str]:
    return [m for m in metric_names() if any(m in e.metrics for e in entries)]


def _train(entry: Entry) -> str:
    return " + ".join(entry.train)


def _page(title: str, nav: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f"<style>{CSS}</style></head><body>\n<nav>{nav}</nav>\n{body}\n<script>{JS}</script>\n</body></html>\n"
    )


def _nav(protocols: list[str], current: str | None) -> str:
    links = ['<a href="index.html">index</a>']
    for p in protocols:
        label = f"<strong>{p}</strong>" if p == current else p
        links.append(f'<a href="{p}.html">{label}</a>')
    return " ".join(links)


def _source_cell(e: Entry) -> str:
    if e.source == "reported":
        return f'<span class="badge reported">reported</span> {html.escape(e.reference)}'
    badge = '<span class="badge measured">measured</span>'
    if not e.reportable:
        why = html.escape(e.why_not)
        badge += f' <span class="badge nonreportable" title="{why}">{NONREPORTABLE} not reportable</span>'
    return f'{badge} <a href="{html.escape(e.record_path)}">record</a>'


def protocol_table(protocol: str, entries: list[Entry]) -> str:
    """The sortable ``<table class="board">`` of one protocol."""
    metrics = _metrics(entries)
    head = "".join(
        f"<th{' class=num' if c in metrics else ''}>{html.escape(c)}</th>"
        for c in ("Method", "Source", "Trained on", "Tested on", "Setting", *metrics, "Details")
    )
    rows = []
    for e in _order(entries):
        cls = e.source + ("" if e.reportable else " nonreportable")
        cells = [
            f"<td>{html.escape(e.method)}{'' if e.reportable else NONREPORTABLE}</td>",
            f'<td data-sort="{e.source}">{_source_cell(e)}</td>',
            f"<td>{html.escape(_train(e))}</td>",
            f"<td>{html.escape(e.target)}</td>",
            f"<td>{html.escape(e.setting)}</td>",
        ]
        for m in metrics:
            v = e.metrics.get(m)
            sort = "" if v is None else f"{v:.6g}"
            cells.append(f'<td class="num" data-sort="{sort}">{html.escape(e.text(m))}</td>')
        cells.append(f'<td class="detail">{html.escape(e.detail)}</td>')
        rows.append(f'<tr class="{cls}">{"".join(cells)}</tr>')
    return (
        f'<table class="board" id="board-{html.escape(protocol)}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _protocol_page(protocol: str, entries: list[Entry], protocols: list[str]) -> str:
    n_measured = sum(e.source == "measured" for e in entries)
    lead = PROTOCOLS.get(protocol, "")
    body = (
        f"<h1>Protocol <code>{html.escape(protocol)}</code></h1>"
        f'<p class="lead">{html.escape(lead)}</p>'
        f"<p>{len(entries) - n_measured} reported and {n_measured} measured entries. "
        '<span class="badge reported">reported</span>: numbers printed in a paper (traced to the seed line). '
        '<span class="badge measured">measured</span>: produced by this harness (metric fractions x100), '
        "linked to the result record; details give its provenance. Click a column header to sort.</p>"
        + protocol_table(protocol, entries)
    )
    return _page(f"Leaderboard: {protocol}", _nav(protocols, protocol), body)


def _index_page(by_protocol: dict[str, list[Entry]]) -> str:
    rows = []
    for p, entries in by_protocol.items():
        n_measured = sum(e.source == "measured" for e in entries)
        targets = ", ".join(sorted({DATASETS.get(e.target, e.target).split(" (")[0] for e in entries}))
        rows.append(
            f'<tr><td><a href="{p}.html">{html.escape(p)}</a></td>'
            f"<td>{html.escape(PROTOCOLS.get(p, ''))}</td>"
            f'<td class="num">{len(entries) - n_measured}</td><td class="num">{n_measured}</td>'
            f"<td>{html.escape(targets)}</td></tr>"
        )
    body = (
        "<h1>reid-harness leaderboard</h1>"
        '<p class="lead">Reported numbers from the seed papers beside numbers measured by this harness.</p>'
        '<table class="board" id="protocols"><thead><tr><th>Protocol</th><th>Description</th>'
        '<th class="num">Reported</th><th class="num">Measured</th><th>Targets</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _page("reid-harness leaderboard", _nav(list(by_protocol), None), body)


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def leaderboard_markdown(by_protocol: dict[str, list[Entry]]) -> str:
    """The whole leaderboard as Markdown: one section and table per protocol."""
    lines = [
        "# reid-harness leaderboard",
        "",
        "Reported: printed in a paper (table named). Measured: produced by this harness",
        f"(metric fractions x100), linked to its result record. {NONREPORTABLE} marks a measured result",
        "that is not reportable.",
    ]
    for protocol, entries in by_protocol.items():
        metrics = _metrics(entries)
        lines += ["", f"## {protocol}", "", PROTOCOLS.get(protocol, ""), ""]
        lines.append(
            "| " + " | ".join(["Method", "Source", "Trained on", "Tested on", "Setting", *metrics]) + " |"
        )
        lines.append("|" + "---|" * 5 + "---:|" * len(metrics))
        for e in _order(entries):
            if e.source == "reported":
                source = f"reported: {e.reference}"
            else:
                source = f"**measured**: [record]({e.record_path})" + (
                    "" if e.reportable else f" {NONREPORTABLE}"
                )
            values = [e.text(m) for m in metrics]
            cells = [e.method, source, _train(e), e.target, e.setting, *values]
            lines.append("| " + " | ".join(_md_escape(c) for c in cells) + " |")
    return "\n".join(lines) + "\n"


def build_leaderboard(
    out_dir: Path, results_dir: Path | None = None, *, allow_nonreportable: bool = False
) -> tuple[list[Path], int]:
    """Write the site under ``out_dir``; return the pages written and how many records were left out
    as not reportable (random-init or synthetic; included and marked with ``allow_nonreportable``)."""
    out_dir = Path(out_dir)
    measured: list[Entry] = []
    skipped = 0
    if results_dir is not None:
        records_dir = out_dir / "records"
        if records_dir.exists():
            shutil.rmtree(records_dir)
        write_text_atomic(
            records_dir / COPIES_MARKER, "copies of result records: harness readers skip this folder\n"
        )
        for path, record, flat in load_records(Path(results_dir)):
            if flat.nonreportable and not allow_nonreportable:
                skipped += 1
                continue
            rel = Path("records") / path.relative_to(results_dir)
            write_text_atomic(out_dir / rel, path.read_text(encoding="utf-8"))
            measured.append(measured_entry(record, flat, rel.as_posix()))
    by_protocol = leaderboard_entries(measured)
    protocols = list(by_protocol)
    written = [write_text_atomic(out_dir / "index.html", _index_page(by_protocol))]
    for protocol, entries in by_protocol.items():
        written.append(
            write_text_atomic(out_dir / f"{protocol}.html", _protocol_page(protocol, entries, protocols))
        )
    written.append(write_text_atomic(out_dir / "leaderboard.md", leaderboard_markdown(by_protocol)))
    return written, skipped
