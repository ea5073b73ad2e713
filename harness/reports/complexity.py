"""The complexity table (seed 004 Table 3 shape) from profiled cost blocks, as a :class:`PaperTable`.

One row per profiled method (:func:`harness.profiling.profile.profile_method`'s cost block, with a
``test_set`` block): params (M: total, image tower, text tower), GFLOPs per image and per text,
GMACs of one image plus one caption, the inference time (s) over the test set and, when measured
records are given, ``R1 (%)`` / ``mAP (%)`` of each method's in-domain ``t2i`` record on one
dataset, read through the one record reader (:func:`harness.reports.measured.load_measured`) and
the one measured frame (:func:`harness.reports.frame.measured_frame`, display units from the
metric registry). The table is printed by the shared renderers (:mod:`harness.reports.render`);
``harness profile --format md|latex|csv|html`` and its alias ``harness text complexity`` print it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from harness.errors import ConfigError
from harness.reports.measured import Measured
from harness.reports.model import Cell, Column, Group, PaperTable, Part, Row

NONREPORTABLE_MARK = "†"
ACCURACY_PROTOCOL = "t2i"
"""The in-domain text-to-image protocol whose records fill the accuracy columns."""
ACCURACY_METRICS = ("R1", "mAP")
"""Seed 004 Table 3's accuracy columns (printed ``R (%)`` and ``mAP (%)``)."""
DECIMALS = 2


@dataclass(frozen=True)
class Accuracy:
    """One measured metric of a method: value in display units, the record and whether it is reportable."""

    value: float
    path: str
    reportable: bool
    display_path: str = ""
    """The record's path relative to the results folder (what the footnotes and CSV sources name)."""


def t2i_accuracy(measured: Sequence[Measured], dataset: str) -> dict[str, dict[str, Accuracy]]:
    """``method -> {R1, mAP}`` (percent) of the ``t2i`` records on ``dataset`` evaluated with the
    default settings, from the one measured frame."""
    from harness.reports.frame import measured_frame

    plain = [m for m in measured if not m.setting_parts]
    shown = {m.path: m.display_path for m in plain}
    frame = measured_frame(plain)
    sub = frame[
        (frame["protocol"] == ACCURACY_PROTOCOL)
        & (frame["dataset"] == dataset)
        & frame["metric"].isin(ACCURACY_METRICS)
    ]
    out: dict[str, dict[str, Accuracy]] = {}
    for row in sub.itertuples(index=False):
        found = Accuracy(float(row.value), row.path, bool(row.reportable), shown.get(row.path, row.path))
        out.setdefault(row.method, {})[row.metric] = found
    return out


def _label(cost: dict) -> str:
    from harness.results.identity import method_label

    return method_label(cost["method"], cost.get("variant"))


def _number(
    value: float | None, *, mark: str = "", source: str | None = None, metric: str | None = None
) -> Cell:
    """A cell of one number at :data:`DECIMALS` places (``-`` when missing; a value that would print
    as zero keeps two significant digits)."""
    if value is None or value != value:
        return Cell([Part("-")])
    tiny = 0 < abs(value) < 0.5 * 10**-DECIMALS
    text = f"{value:.1e}" if tiny else f"{value:.{DECIMALS}f}"
    return Cell([Part(text + mark, value=value, source=source, metric=metric)])


def _millions(n: int | None) -> float | None:
    return None if n is None else n / 1e6


def _giga(block: dict | None) -> float | None:
    return None if block is None else block["flops"] / 1e9


def _gmacs(cost: dict) -> float | None:
    """Multiply-adds (G) of one image plus one caption: the records' ``total_flops`` (the same sum
    that fills a paper table's cost cell, :class:`harness.results.schema.CostInfo`) / 2."""
    from harness.results.schema import CostInfo

    flops = CostInfo.model_validate(cost).total_flops
    return None if flops is None else flops / 2e9


def _test_set_note(cost: dict) -> str:
    test = cost["test_set"]
    height, width = cost["input_size"]
    where = f"on {cost.get('device_name', cost['device'])}, {cost['dtype']}"
    if test["how"] == "measured":
        how = f"measured: every item encoded in batches of {test['batch_size']} after a warm-up batch {where}"
    else:
        how = (
            f"extrapolated: images / image throughput + texts / text throughput, each the median of "
            f"{test.get('iters', '?')} timed batches of {test['batch_size']} {where}"
        )
    return (
        f"Inference time over {test['texts']:,} texts and {test['images']:,} images at {height}x{width}, "
        f"{how}; model compute only (decoding, preprocessing and scoring excluded)"
    )


COST_COLUMNS = (
    "Params (M)",
    "Params image (M)",
    "Params text (M)",
    "GFLOPs/image",
    "GFLOPs/text",
    "GMACs image+text",
    "Inference time (s)",
)


def complexity_table(
    costs: Sequence[dict], *, accuracy: dict[str, dict[str, Accuracy]] | None = None, dataset: str = ""
) -> PaperTable:
    """Seed 004 Table 3 from cost blocks with a ``test_set`` block (module docstring); the R1/mAP
    columns when ``accuracy`` (:func:`t2i_accuracy` on ``dataset``) is given. Footnotes state the
    conventions, how and where the time was obtained, the weights, and the accuracy records."""
    from harness.metrics.registry import metric_info

    if not costs:
        raise ConfigError("no methods to tabulate; give at least one --method")
    missing = [_label(c) for c in costs if "test_set" not in c]
    if missing:
        raise ConfigError(f"no test-set time for {missing}; give --test-images and/or --test-texts")
    columns = [Column((name,), higher_is_better=False) for name in COST_COLUMNS]
    if accuracy is not None:
        for name in ACCURACY_METRICS:
            info = metric_info(name)
            columns.append(
                Column((f"{name} ({info.unit})",), metric=name, higher_is_better=info.higher_is_better)
            )
    rows = []
    nonreportable = False
    for cost in costs:
        label = _label(cost)
        image, text = cost["flops_per_image"], cost.get("flops_per_text")
        cells = [
            _number(_millions(cost["params"]["total"])),
            _number(_millions(cost["params"]["image"])),
            _number(_millions(cost["params"]["text"])),
            _number(_giga(image)),
            _number(_giga(text)),
            _number(_gmacs(cost)),
            _number(cost["test_set"].get("compute_s")),
        ]
        sources: list[str] = []
        for name in ACCURACY_METRICS if accuracy is not None else ():
            found = (accuracy or {}).get(label, {}).get(name)
            if found is None:
                cells.append(_number(None))
                continue
            nonreportable |= not found.reportable
            mark = "" if found.reportable else NONREPORTABLE_MARK
            cells.append(_number(found.value, mark=mark, source=found.path, metric=name))
            shown = found.display_path or found.path
            sources += [] if shown in sources else [shown]
        rows.append(Row(label=(label,), cells=cells, kind="measured", method=label, sources=tuple(sources)))
    test = costs[0]["test_set"]
    height, width = costs[0]["input_size"]
    return PaperTable(
        name="complexity",
        title="Complexity",
        caption=(
            f"parameters, FLOPs and inference time over a test set of {test['texts']:,} texts and "
            f"{test['images']:,} images at {height}x{width} (seed 004 Table 3 shape)"
        ),
        row_header=("Method",),
        columns=columns,
        groups=[Group(None, rows)],
        footnotes=_notes(costs, dataset if accuracy is not None else None, rows, nonreportable),
        rank_by="none",
    )


def _notes(costs: Sequence[dict], dataset: str | None, rows: list[Row], nonreportable: bool) -> list[str]:
    first = costs[0]["flops_per_image"]
    notes = [
        "Params: every parameter of the network as built for inference (training-only heads the card "
        "drops are not counted); image/text: the parameters autograd reaches from each tower's embedding",
        f"FLOPs: {first['convention']} ({first['counter']}); GMACs image+text = (FLOPs per image + "
        "FLOPs per text) / 2, the multiply-add count of one image and one caption (what thop-style "
        "'FLOPs' report)",
    ]
    time_notes: dict[str, list[str]] = {}
    for cost in costs:
        time_notes.setdefault(_test_set_note(cost), []).append(_label(cost))
    for note, methods in time_notes.items():
        notes.append(note if len(time_notes) == 1 else f"{', '.join(methods)}: {note}")
    no_text = [
        _label(c)
        for c in costs
        if (c.get("test_set") or {}).get("texts") and not (c.get("throughput_text") or {}).get("items_per_s")
    ]
    if no_text:
        notes.append(
            f"{', '.join(no_text)}: image-only (no text tower), so no time over a test set with captions: "
            "'-' (with --texts 0 the time covers the images alone)"
        )
    by_weights: dict[str, list[str]] = {}
    for cost in costs:
        by_weights.setdefault(cost["weights"], []).append(_label(cost))
    notes.append(
        "Weights: "
        + "; ".join(f"{kind} ({', '.join(names)})" for kind, names in by_weights.items())
        + "; params, FLOPs and time do not depend on the weight values"
    )
    if dataset is not None:
        records = "; ".join(f"{row.method}: {', '.join(row.sources)}" for row in rows if row.sources)
        notes.append(
            f"R1 / mAP: measured {ACCURACY_PROTOCOL} records on {dataset} (text-to-image, percent, default "
            f"settings){': ' + records if records else ''}; '-' where none was found"
        )
    if nonreportable:
        notes.append(
            f"{NONREPORTABLE_MARK} from random-init weights or synthetic data: not comparable with papers"
        )
    return notes
