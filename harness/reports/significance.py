"""Confidence intervals and paired significance marks on the measured numbers of a built table.

``harness report --with-measured DIR --ci`` (and the leaderboard) call :func:`annotate_measured`:

* every measured number with a bootstrap interval in its record prints as ``value ± half-width``
  (half the width of the record's 95% percentile interval, in the table's decimals);
* where a cell (same column and part, same row group) holds numbers of two or more measured methods,
  the best is compared with the runner-up by the paired test of ``harness compare`` on the same
  queries; when p < 0.05 the best gets ``*`` and the runner-up ``°`` (significantly worse).
  Records without per-query outcomes, or that do not pair, are left unmarked.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.errors import ResultError
from harness.reports.measured import Measured
from harness.reports.model import PaperTable, Part

ALPHA = 0.05
BETTER, WORSE = "*", "°"
FOOTNOTE_CI = (
    "± : half-width of the measured number's 95% bootstrap interval over queries (docs/statistics.md)"
)
FOOTNOTE_SIG = (
    f"{BETTER} / {WORSE}: measured number significantly better / worse than the other measured number "
    f"of its cell (paired test on the same queries, p < {ALPHA}; harness compare)"
)


def _decimals(text: str) -> int:
    head = text.split()[0] if text.split() else text
    return len(head.split(".", 1)[1]) if "." in head else 0


def paired_p(path_a: str, path_b: str, metric: str) -> float | None:
    """p-value of the paired test (``harness compare``) between two records' per-query outcomes on
    ``metric``; None when either lacks per-query outcomes or they do not pair."""
    from harness.results.compare import compare_pair
    from harness.results.io import read_record

    try:
        rec_a = (read_record(Path(path_a)), Path(path_a))
        rec_b = (read_record(Path(path_b)), Path(path_b))
        row = compare_pair(rec_a, rec_b, metric, n_resamples=200, n_permutations=2000, seed=0)
    except ResultError:
        return None
    return row.p_value


def _paired_p(a: Part, b: Part) -> float | None:
    return paired_p(str(a.source), str(b.source), str(a.metric))


def with_ci(text: str, bounds: tuple[float, float] | None) -> str:
    """``text ± half-width`` (in ``text``'s decimals), keeping a trailing significance mark."""
    if bounds is None:
        return text
    number = text.rstrip(BETTER + WORSE)
    half = (bounds[1] - bounds[0]) / 2
    return f"{number} ± {half:.{_decimals(number)}f}{text[len(number) :]}"


def annotate_entries(entries: Sequence, *, alpha: float = ALPHA) -> None:
    """Leaderboard entries (``harness.reports.leaderboard``): measured values get ``± half-width``
    and, per (protocol, training sets, target, setting) and metric, the best of two or more measured
    entries ``*`` (and the runner-up ``°``) when the paired test gives p < ``alpha``. Each entry's
    record path is ``entry.extra["record"]``, its intervals ``entry.ci``."""
    from harness.metrics.registry import METRICS
    from harness.results.compare import cell_leg
    from harness.results.io import read_record

    cells: dict[tuple, list] = {}
    for e in entries:  # the cells harness compare pairs: a method's own convention does not split them
        shared = cell_leg(read_record(Path(e.extra["record"]))) if e.extra.get("record") else e.setting
        cells.setdefault((e.protocol, e.train, e.target, shared), []).append(e)
    for group in cells.values():
        for metric in {m for e in group for m in e.metrics}:
            have = [e for e in group if metric in e.metrics and e.extra.get("record")]
            info = METRICS.get(metric) if metric in METRICS else None
            if len(have) < 2 or info is None:
                continue
            ranked = sorted(have, key=lambda e: e.metrics[metric], reverse=info.higher_is_better)
            p = paired_p(ranked[0].extra["record"], ranked[1].extra["record"], metric)
            if p is not None and p < alpha and ranked[0].metrics[metric] != ranked[1].metrics[metric]:
                ranked[0].texts[metric] = ranked[0].text(metric) + BETTER
                ranked[1].texts[metric] = ranked[1].text(metric) + WORSE
                for e, mark in ((ranked[0], BETTER), (ranked[1], WORSE)):
                    if isinstance(getattr(e, "marks", None), dict):
                        e.marks[metric] = mark
    for e in entries:
        for metric in e.metrics:
            bounds = e.ci.get(metric) if getattr(e, "ci", None) else None
            if bounds is not None:
                e.texts[metric] = with_ci(e.texts.get(metric, e.text(metric)), bounds)


def annotate_measured(table: PaperTable, measured: Sequence[Measured], *, alpha: float = ALPHA) -> None:
    """Add ``± half-width`` and significance marks to ``table``'s measured numbers (in place)."""
    ci_of = {m.path: m.ci or {} for m in measured}
    shown_ci = marked = False
    for group in table.groups:
        rows = [r for r in group.rows if r.kind == "measured"]
        for j, col in enumerate(table.columns):
            width = max((len(r.cells[j].parts) for r in rows if j < len(r.cells)), default=0)
            for k in range(width):
                parts = [
                    r.cells[j].parts[k]
                    for r in rows
                    if j < len(r.cells)
                    and k < len(r.cells[j].parts)
                    and r.cells[j].parts[k].source
                    and r.cells[j].parts[k].value is not None
                ]
                if len(parts) >= 2 and col.higher_is_better is not None:
                    ranked = sorted(parts, key=lambda p: p.value, reverse=col.higher_is_better)  # type: ignore[arg-type,return-value]
                    p = _paired_p(ranked[0], ranked[1])
                    if p is not None and p < alpha and ranked[0].value != ranked[1].value:
                        ranked[0].text += BETTER
                        ranked[1].text += WORSE
                        marked = True
    for row in table.rows():
        if row.kind != "measured":
            continue
        for cell in row.cells:
            for part in cell.parts:
                bounds = ci_of.get(part.source or "", {}).get(part.metric or "")
                if bounds is None:
                    continue
                part.text = with_ci(part.text, bounds)
                shown_ci = True
    if shown_ci:
        table.footnotes.append(FOOTNOTE_CI)
    if marked:
        table.footnotes.append(FOOTNOTE_SIG)
