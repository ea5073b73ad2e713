"""Write the leaderboard site: ``index.html``, per protocol a paper-style table ``<page>.html`` and a
detail page ``<page>-entries.html`` (one row per reported line or record), ``leaderboard.md`` and
``records/`` (copies of the measured records, so links work from ``file://``).

Safety (see docs/failure-modes.md):

- Every string that reaches HTML is escaped with ``html.escape`` (attributes included); every
  protocol name that becomes a file name goes through :func:`page_stem` (one function).
- The site folder is the leaderboard's own: it refuses an ``--out`` that holds (or lies inside) the
  results it reads, refuses a non-empty folder it did not write (no ``.harness-leaderboard.json``
  manifest), never writes through a symbolic link, and on a rebuild deletes only files its previous
  manifest lists.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from urllib.parse import quote

from harness.atomic import write_text_atomic
from harness.errors import ResultError
from harness.escaping import md_escape
from harness.metrics.registry import metric_names
from harness.reported import DATASETS, PROTOCOLS
from harness.reports.leaderboard.assets import CSS, JS
from harness.reports.leaderboard.board import AVERAGE, Board, BoardCell, BoardRow, build_board
from harness.reports.leaderboard.entries import (
    Entry,
    leaderboard_entries,
    load_records,
    measured_entry,
)
from harness.results.io import COPIES_MARKER

NONREPORTABLE = "†"
MANIFEST = ".harness-leaderboard.json"


def esc(text: object) -> str:
    """``text`` escaped for HTML text and quoted attribute values."""
    return html.escape(str(text), quote=True)


def page_stem(protocol: str) -> str:
    """The file-name stem of a protocol's pages (:func:`harness.safepaths.slug`): the name itself when
    it is a plain component, else a plain form plus a hash of the name (never a path separator,
    ``..``, leading dot or control character; two names never share a stem)."""
    from harness.safepaths import slug

    return slug(protocol)


def _refuse_overlap(out: Path, inputs: list[Path]) -> None:
    """Refuse an ``--out`` that is or holds one of the inputs. (A site inside the results folder is
    allowed: its ``records/`` copies carry the reader's copies marker, so they are never read back
    as results.)"""
    target = out.resolve()
    for source in inputs:
        src = Path(source).resolve()
        if target == src or src.is_relative_to(target):
            raise ResultError(
                f"--out {out} overlaps the results folder {source}: writing the site there could "
                "overwrite the records or mix with them; choose a separate folder"
            )


def page_href(protocol: str, suffix: str = "") -> str:
    """The URL of a protocol's page, relative to the site root (percent-encoded)."""
    return quote(f"{page_stem(protocol)}{suffix}.html")


# -- pages ----------------------------------------------------------------------------------------


def _page(title: str, nav: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title>"
        f"<style>{CSS}</style></head><body>\n<nav>{nav}</nav>\n{body}\n<script>{JS}</script>\n</body></html>\n"
    )


def _nav(protocols: list[str], current: str | None) -> str:
    links = ['<a href="index.html">index</a>']
    for p in protocols:
        label = f"<strong>{esc(p)}</strong>" if p == current else esc(p)
        links.append(f'<a href="{esc(page_href(p))}">{label}</a>')
    return " ".join(links)


def _value_html(cell: BoardCell) -> str:
    text = esc(cell.display)
    if cell.mark == "best":
        text = f"<strong>{text}</strong>"
    elif cell.mark == "second":
        text = f"<u>{text}</u>"
    if cell.link:
        text = f'<a href="{esc(quote(cell.link))}">{text}</a>'
    return text


def _cell_title(cell: BoardCell) -> str:
    parts = [cell.reference] if cell.reference else []
    parts += [f"also {a}" for a in cell.also]
    return "; ".join(parts)


def _row_html(row: BoardRow, keys: list[tuple[str, str]]) -> str:
    classes = [row.source] + ([] if row.reportable else ["nonreportable"])
    dagger = (
        "" if row.reportable else f'<span class="dagger" title="{esc(row.why_not)}">{NONREPORTABLE}</span>'
    )
    badge = f'<span class="badge {row.source}">{row.source}</span>'
    cells = [
        f'<td class="method">{esc(row.label)}{dagger}</td>',
        f'<td data-sort="{esc(row.source)}" title="{esc("; ".join(row.references))}">{badge}</td>',
    ]
    for i, key in enumerate(keys):
        cell = row.cells.get(key)
        start = " gs" if i == 0 or keys[i - 1][0] != key[0] else ""
        if cell is None:
            cells.append(f'<td class="num{start}" data-sort="">–</td>')
            continue
        mark = f" {cell.mark}" if cell.mark else ""
        cells.append(
            f'<td class="num{start}{mark}" data-sort="{cell.value:.6g}" title="{esc(_cell_title(cell))}">'
            f"{_value_html(cell)}</td>"
        )
    return f'<tr class="{" ".join(classes)}">{"".join(cells)}</tr>'


def board_table(board: Board) -> str:
    """The paper-style ``<table>`` of one protocol: two header rows (legs, then metrics)."""
    groups = [(c.key, c.title) for c in board.columns]
    if board.has_average:
        groups.append((AVERAGE, "Average"))
    keys = [(g, m) for g, _ in groups for m in board.metrics]
    span = len(board.metrics)
    top = '<th rowspan="2" data-col="0">Method</th><th rowspan="2" data-col="1">Source</th>'
    top += "".join(f'<th colspan="{span}" class="group gs">{esc(title)}</th>' for _, title in groups)
    second = "".join(
        f'<th class="num{" gs" if i % span == 0 else ""}" data-col="{2 + i}" title="{esc(g)}: {esc(m)}">'
        f"{esc(m)}</th>"
        for i, (g, m) in enumerate(keys)
    )
    body = "".join(_row_html(r, keys) for r in board.rows)
    return (
        f'<table class="board paper" id="board-{esc(page_stem(board.protocol))}">'
        f"<thead><tr>{top}</tr><tr>{second}</tr></thead><tbody>{body}</tbody></table>"
    )


def _protocol_page(protocol: str, entries: list[Entry], protocols: list[str]) -> str:
    board = build_board(protocol, entries)
    n_measured = sum(e.source == "measured" for e in entries)
    body = (
        f"<h1>{esc(_title(protocol))} <code>{esc(protocol)}</code></h1>"
        f'<p class="lead">{esc(PROTOCOLS.get(protocol, ""))}</p>'
        f"<p>{len(board.rows)} rows from {len(entries) - n_measured} reported and {n_measured} measured "
        "entries. Values in percent with the metric's decimals; <strong>best</strong> and "
        "<u>second</u> per column among reportable rows. "
        '<span class="badge reported">reported</span>: printed in a paper (hover a value for its table). '
        '<span class="badge measured">measured</span>: produced by this harness; each value links to '
        f"its record. {NONREPORTABLE}: not reportable (random-init weights or synthetic data), never "
        f'ranked. <a href="{esc(page_href(protocol, "-entries"))}">Every entry with its provenance</a>.</p>'
        f"<p>{esc(STATS_NOTE)}</p>"
        '<p><label><input type="checkbox" id="reportable-only"> reportable only</label> '
        "· click a column header to sort</p>" + board_table(board)
    )
    return _page(f"Leaderboard: {protocol}", _nav(protocols, protocol), body)


def _title(protocol: str) -> str:
    from harness.reports.plots.style import protocol_title

    return protocol_title(protocol)


STATS_NOTE = (
    "Measured values: ± half-width of the 95% bootstrap interval over queries; * / ° significantly better / "
    "worse than the other measured entry of the same setting (paired test on the same queries, p < 0.05)."
)


def _order(entries: list[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: (e.target, e.setting, -(e.metrics.get("R1") or -1.0), e.method))


def _metrics(entries: list[Entry]) -> list[str]:
    return [m for m in metric_names() if any(m in e.metrics for e in entries)]


def _train(entry: Entry) -> str:
    return " + ".join(entry.train)


def _source_cell(e: Entry) -> str:
    if e.source == "reported":
        return f'<span class="badge reported">reported</span> {esc(e.reference)}'
    badge = '<span class="badge measured">measured</span>'
    if not e.reportable:
        why = esc(e.why_not)
        badge += f' <span class="badge nonreportable" title="{why}">{NONREPORTABLE} not reportable</span>'
    return f'{badge} <a href="{esc(quote(e.record_path))}">record</a>'


def protocol_table(protocol: str, entries: list[Entry]) -> str:
    """The sortable per-entry ``<table>`` of one protocol (the detail page)."""
    metrics = _metrics(entries)
    head = "".join(
        f'<th data-col="{i}"{" class=num" if c in metrics else ""}>{esc(c)}</th>'
        for i, c in enumerate(("Method", "Source", "Trained on", "Tested on", "Setting", *metrics, "Details"))
    )
    rows = []
    for e in _order(entries):
        cls = e.source + ("" if e.reportable else " nonreportable")
        cells = [
            f"<td>{esc(e.method)}{'' if e.reportable else NONREPORTABLE}</td>",
            f'<td data-sort="{esc(e.source)}">{_source_cell(e)}</td>',
            f"<td>{esc(_train(e))}</td>",
            f"<td>{esc(e.target)}</td>",
            f"<td>{esc(e.setting)}</td>",
        ]
        for m in metrics:
            v = e.metrics.get(m)
            sort = "" if v is None else f"{v:.6g}"
            printed = e.texts.get(m)
            title = f' title="printed as {esc(printed)}"' if printed else ""
            cells.append(f'<td class="num" data-sort="{sort}"{title}>{esc(e.text(m))}</td>')
        cells.append(f'<td class="detail">{esc(e.detail)}</td>')
        rows.append(f'<tr class="{cls}">{"".join(cells)}</tr>')
    return (
        f'<table class="board" id="entries-{esc(page_stem(protocol))}"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _entries_page(protocol: str, entries: list[Entry], protocols: list[str]) -> str:
    body = (
        f"<h1>Entries of <code>{esc(protocol)}</code></h1>"
        f'<p class="lead"><a href="{esc(page_href(protocol))}">Back to the table</a>. One row per reported '
        "line (its seed file and line in Details) or measured record (its provenance).</p>"
        f"<p>{esc(STATS_NOTE)}</p>"
        '<p><label><input type="checkbox" id="reportable-only"> reportable only</label></p>'
        + protocol_table(protocol, entries)
    )
    return _page(f"Leaderboard entries: {protocol}", _nav(protocols, protocol), body)


def _index_page(by_protocol: dict[str, list[Entry]]) -> str:
    rows = []
    for p, entries in by_protocol.items():
        n_measured = sum(e.source == "measured" for e in entries)
        targets = ", ".join(sorted({DATASETS.get(e.target, e.target).split(" (")[0] for e in entries}))
        rows.append(
            f'<tr><td><a href="{esc(page_href(p))}">{esc(p)}</a></td>'
            f"<td>{esc(_title(p))}</td>"
            f'<td class="num">{len(entries) - n_measured}</td><td class="num">{n_measured}</td>'
            f"<td>{esc(targets)}</td></tr>"
        )
    body = (
        "<h1>reid-harness leaderboard</h1>"
        '<p class="lead">Reported numbers from the seed papers beside numbers measured by this harness, '
        "one paper-style table per protocol.</p>"
        '<table class="board" id="protocols"><thead><tr><th data-col="0">Protocol</th>'
        '<th data-col="1">Description</th><th class="num" data-col="2">Reported</th>'
        '<th class="num" data-col="3">Measured</th><th data-col="4">Targets</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )
    return _page("reid-harness leaderboard", _nav(list(by_protocol), None), body)


# -- Markdown ---------------------------------------------------------------------------------------


def _md_value(cell: BoardCell | None) -> str:
    if cell is None:
        return "–"
    text = md_escape(cell.display)
    if cell.mark == "best":
        text = f"**{text}**"
    elif cell.mark == "second":
        text = f"<u>{text}</u>"
    if cell.link:
        text = f"[{text}](<{quote(cell.link)}>)"
    return text


def leaderboard_markdown(by_protocol: dict[str, list[Entry]]) -> str:
    """The whole leaderboard as Markdown: one paper-style table per protocol."""
    lines = [
        "# reid-harness leaderboard",
        "",
        "Reported: printed in a paper. Measured: produced by this harness (linked to its record).",
        f"**Bold** best, <u>underlined</u> second per column. {NONREPORTABLE} marks a measured result",
        "that is not reportable (never ranked).",
        STATS_NOTE,
    ]
    for protocol, entries in by_protocol.items():
        board = build_board(protocol, entries)
        groups = [(c.key, c.title) for c in board.columns] + (
            [(AVERAGE, "Average")] if board.has_average else []
        )
        keys = [(g, m) for g, _ in groups for m in board.metrics]
        titles = dict(groups)
        lines += ["", f"## {md_escape(protocol)}", "", md_escape(_title(protocol)), ""]
        header = ["Method", "Source", *(f"{titles[g]}: {m}" for g, m in keys)]
        lines.append("| " + " | ".join(md_escape(h) for h in header) + " |")
        lines.append("|---|---|" + "---:|" * len(keys))
        for row in board.rows:
            name = md_escape(row.label) + ("" if row.reportable else NONREPORTABLE)
            source = "reported" if row.source == "reported" else "**measured**"
            lines.append(
                "| " + " | ".join([name, source, *(_md_value(row.cells.get(k)) for k in keys)]) + " |"
            )
    return "\n".join(lines) + "\n"


# -- writing ------------------------------------------------------------------------------------------


class _Site:
    """Writes inside ``root`` only: no symlinked component, no name outside, a manifest of files."""

    def __init__(self, root: Path, inputs: list[Path]) -> None:
        self.root = Path(root)
        _refuse_overlap(self.root, inputs)
        if self.root.is_symlink():
            raise ResultError(f"--out {self.root} is a symbolic link; give the real folder")
        if self.root.exists() and not self.root.is_dir():
            raise ResultError(f"--out {self.root} exists and is not a folder")
        manifest = self.root / MANIFEST
        self.previous: list[str] = []
        if manifest.is_file() and not manifest.is_symlink():
            try:
                self.previous = [str(p) for p in json.loads(manifest.read_text(encoding="utf-8"))["files"]]
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise ResultError(f"{manifest}: unreadable leaderboard manifest ({exc}); remove it") from exc
        elif self.root.is_dir() and any(self.root.iterdir()):
            raise ResultError(
                f"--out {self.root} is not empty and was not written by `harness leaderboard` "
                f"(no {MANIFEST}); choose an empty or new folder"
            )
        self.written: list[str] = []

    def _target(self, rel: str) -> Path:
        parts = Path(rel).parts
        if Path(rel).is_absolute() or any(p in ("", ".", "..") for p in parts):
            raise ResultError(f"leaderboard file name {rel!r} would leave {self.root}; refusing it")
        path = self.root
        for part in parts:
            path = path / part
            if path.is_symlink():
                raise ResultError(f"{path} is a symbolic link; the leaderboard never writes through links")
        return path

    def write(self, rel: str, text: str) -> Path:
        path = write_text_atomic(self._target(rel), text)
        self.written.append(rel)
        return path

    def finish(self) -> None:
        """Delete files of the previous build that this one did not write (only those), then record
        what this build wrote."""
        keep = set(self.written)
        for rel in self.previous:
            if rel in keep or rel == MANIFEST:
                continue
            try:
                path = self._target(rel)
            except ResultError:
                continue  # a manifest line that points outside or through a link is never followed
            if path.is_file():
                path.unlink()
        write_text_atomic(self._target(MANIFEST), json.dumps({"files": sorted(keep)}, indent=1) + "\n")


def build_leaderboard(
    out_dir: Path, results_dir: Path | None = None, *, allow_nonreportable: bool = False
) -> tuple[list[Path], int]:
    """Write the site under ``out_dir``; return the pages written and how many records were left out
    as not reportable (random-init or synthetic; included and marked with ``allow_nonreportable``)."""
    site = _Site(Path(out_dir), [Path(results_dir)] if results_dir is not None else [])
    measured: list[Entry] = []
    skipped = 0
    if results_dir is not None:
        site.write(f"records/{COPIES_MARKER}", "copies of result records: harness readers skip this folder\n")
        for path, record, flat in load_records(Path(results_dir)):
            if flat.nonreportable and not allow_nonreportable:
                skipped += 1
                continue
            rel = (Path("records") / path.relative_to(results_dir)).as_posix()
            site.write(rel, path.read_text(encoding="utf-8"))
            measured.append(measured_entry(record, flat, rel))
    from harness.reports.significance import annotate_entries

    annotate_entries(measured)  # ± intervals and paired-significance marks (docs/statistics.md)
    by_protocol = leaderboard_entries(measured)
    stems: dict[str, str] = {}
    for protocol in by_protocol:
        stem = page_stem(protocol)
        if stem in stems or stem == "index":
            raise ResultError(
                f"protocols {stems.get(stem, 'index')!r} and {protocol!r} would share the page {stem}.html"
            )
        stems[stem] = protocol
    protocols = list(by_protocol)
    written = [site.write("index.html", _index_page(by_protocol))]
    for protocol, entries in by_protocol.items():
        written.append(
            site.write(f"{page_stem(protocol)}.html", _protocol_page(protocol, entries, protocols))
        )
        site.write(f"{page_stem(protocol)}-entries.html", _entries_page(protocol, entries, protocols))
    written.append(site.write("leaderboard.md", leaderboard_markdown(by_protocol)))
    site.finish()
    return written, skipped
