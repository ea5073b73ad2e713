"""What ``harness run`` (and ``harness demo``) print: each leg as it finishes, then a summary.

* ``table`` (default, for people): one line per leg as soon as its record is written (metrics in
  percent, the record's path, "not reportable" when so), followed, where the record has bootstrap
  intervals, by that leg's interval line in the same metric order::

      MS: R1 71.9  R5 90.6  mAP 71.5  (32 queries) -> res/hsv-hist/p2/MS.json
      MS: 95% interval (percentile bootstrap over queries): R1 56.2-87.5  R5 81.2-100.0  mAP 60.1-82.9

  then each distinct note once per run, and at the end a table of every leg (one row per leg,
  value and ± std in its cells; the leg column is never cut) and the legs' average where the
  protocol defines one.
* ``csv``: a header, then one row per leg as it finishes (metrics as the record's fractions, with
  ``_std`` and the confidence interval's ``_low``/``_high`` columns where the record has them).
* ``json``: JSON Lines, one object per leg as it finishes.

Notes go to stderr in the ``csv`` and ``json`` formats, so stdout stays machine-readable. Metric
names, order and scale come from the records and :mod:`harness.metrics.registry`.
"""

from __future__ import annotations

import csv
import json
import sys
from typing import TYPE_CHECKING, Any, TextIO

from rich.text import Text

from harness.cli.console import NoteLog, OutputFormat, err, key_table, out, print_table, styled

if TYPE_CHECKING:
    from harness.pipeline.options import LegOutcome


def metric_columns(outcomes: list[LegOutcome]) -> list[str]:
    """Every metric any record carries, in the metric registry's column order."""
    from harness.metrics.registry import order_metrics

    return order_metrics({name for outcome in outcomes for name in outcome.record.metrics})


def leg_label(record: Any) -> str:
    """The leg as run output and checks name it: with its settings slug (``market1501+flip``)."""
    from harness.results.identity import record_key

    return record_key(record).leg_label


def intervals(record: Any) -> dict[str, Any]:
    """The record's bootstrap confidence intervals by metric (``{}`` for records without them)."""
    block = getattr(record, "intervals", None)
    return dict(block.metrics) if block is not None else {}


def format_metric(record: Any, name: str) -> str:
    """``45.2`` or ``45.2 ± 1.3`` (std over trials or mask repeats), in the table's scale (e.g.
    percent); ``-`` when absent. Intervals are printed apart: :func:`format_interval_line`."""
    from harness.metrics.registry import metric_info

    if name not in record.metrics:
        return "-"
    info = metric_info(name)
    text = info.format(record.metrics[name])
    if name in (record.metrics_std or {}):
        text += f" ± {info.format(record.metrics_std[name])}"
    return text


def format_interval_line(record: Any, names: list[str]) -> str | None:
    """``MS: 95% interval (percentile bootstrap over queries): R1 56.2-87.5  mAP 60.1-82.9``: the
    record's bootstrap intervals in ``names``' order and the table's scale; ``None`` without any."""
    from harness.metrics.registry import metric_info

    bounds = intervals(record)
    shown = [name for name in names if name in bounds]
    if not shown:
        return None
    block = record.intervals
    cells = "  ".join(
        f"{name} {metric_info(name).format(bounds[name].low)}-{metric_info(name).format(bounds[name].high)}"
        for name in shown
    )
    return (
        f"{leg_label(record)}: {100 * block.level:g}% interval "
        f"(percentile bootstrap over {block.scheme}): {cells}"
    )


class RunPrinter:
    """Prints outcomes of one run in ``fmt``: :meth:`leg_done` per leg, :meth:`finish` at the end."""

    def __init__(self, fmt: OutputFormat = OutputFormat.table, *, stream: TextIO | None = None) -> None:
        self.fmt = OutputFormat(fmt)
        self.stream = stream
        self.notes = NoteLog(out if self.fmt is OutputFormat.table else err)
        self.done: list[LegOutcome] = []
        self._csv_columns: list[str] | None = None

    @property
    def _out(self) -> TextIO:
        return self.stream or sys.stdout

    def leg_done(self, outcome: LegOutcome) -> None:
        """Print one finished leg at once (a long run shows results as it goes)."""
        self.done.append(outcome)
        record = outcome.record
        if self.fmt is OutputFormat.table:
            names = metric_columns([outcome])
            metrics = "  ".join(f"{name} {format_metric(record, name)}" for name in names)
            line = styled(
                (leg_label(record), "bold"),
                f": {metrics}  ({record.counts.n_query} queries) -> {outcome.path}",
            )
            if not record.reportable:
                line.append(" (not reportable)", style="yellow")
            out.print(line, soft_wrap=True)
            if interval_line := format_interval_line(record, names):
                out.print(Text(interval_line), soft_wrap=True)
        elif self.fmt is OutputFormat.csv:
            self._csv_row(outcome)
        else:
            self._out.write(json.dumps(self._object(outcome)) + "\n")
            self._out.flush()
        for note in record.notes:
            self.notes(note)

    def finish(self, title: str) -> None:
        """The summary table of every leg (``table`` format only; the others streamed already)."""
        if self.fmt is not OutputFormat.table:
            return
        if not self.done:
            err.print("no legs were run")
            return
        names = metric_columns(self.done)
        legs = [leg_label(o.record) for o in self.done]
        table = key_table("leg", *names, "queries (valid)", title=title, widths=[max(map(len, legs))])
        for outcome in self.done:
            record = outcome.record
            cells = [format_metric(record, name) for name in names]
            counts = f"{record.counts.n_query} ({record.counts.n_valid_query})"
            table.add_row(Text(leg_label(record)), *cells, counts)
        print_table(table, whole_words=True)  # never "71.4" / "8": one plain line per leg when too wide
        from harness.reports.averages import legs_average

        average = legs_average([o.record for o in self.done], self.done[0].record.protocol.name)
        if average:
            cells = ", ".join(
                f"{k} {100 * average[k]:.1f}" for k in ("R1", "R5", "R10", "mAP", "mINP") if k in average
            )
            out.print(f"average over the {len(self.done)} legs: {cells}", soft_wrap=True)
        if any(o.record.metrics_std for o in self.done):
            out.print("±: std over trials or mask repeats", soft_wrap=True)

    # -- machine formats ----------------------------------------------------------------------------
    def _object(self, outcome: LegOutcome) -> dict[str, Any]:
        record = outcome.record
        return {
            "method": record.method.name,
            "variant": record.method.variant,
            "protocol": record.protocol.name,
            "leg": record.protocol.leg,
            "leg_label": leg_label(record),
            "metrics": {name: record.metrics[name] for name in metric_columns([outcome])},
            "metrics_std": dict(record.metrics_std or {}),
            "intervals": {name: [ci.low, ci.high] for name, ci in intervals(record).items()},
            "n_query": record.counts.n_query,
            "n_valid_query": record.counts.n_valid_query,
            "reportable": record.reportable,
            "path": str(outcome.path),
        }

    def _csv_row(self, outcome: LegOutcome) -> None:
        obj = self._object(outcome)
        writer = csv.writer(self._out, lineterminator="\n")
        if self._csv_columns is None:
            # the first leg's metrics fix the columns; later legs leave absent ones empty
            self._csv_columns = [
                *metric_columns([outcome]),
                *(f"{k}_std" for k in obj["metrics_std"]),
                *(f"{k}_{end}" for k in obj["intervals"] for end in ("low", "high")),
            ]
            writer.writerow(
                [
                    "method",
                    "protocol",
                    "leg",
                    "leg_label",
                    *self._csv_columns,
                    "n_query",
                    "n_valid_query",
                    "reportable",
                    "path",
                ]
            )
        values = {**obj["metrics"], **{f"{k}_std": v for k, v in obj["metrics_std"].items()}}
        for k, (low, high) in obj["intervals"].items():
            values[f"{k}_low"], values[f"{k}_high"] = low, high
        writer.writerow(
            [
                obj["method"],
                obj["protocol"],
                obj["leg"],
                obj["leg_label"],
                *(values.get(c, "") for c in self._csv_columns),
                obj["n_query"],
                obj["n_valid_query"],
                obj["reportable"],
                obj["path"],
            ]
        )
        self._out.flush()


def print_outcomes(outcomes: list[LegOutcome], title: str, fmt: OutputFormat = OutputFormat.table) -> None:
    """Print finished outcomes (each leg's line, then the summary): for callers without streaming."""
    printer = RunPrinter(fmt)
    for outcome in outcomes:
        printer.leg_done(outcome)
    printer.finish(title)
