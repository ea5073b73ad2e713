"""Tables and plots of text-to-image results, shaped like the DGCMIA supplementary (seed 004).

Column contract of the *text-mask frame* (:func:`textmask_frame`, one row per metric value)::

    method   str    method label: ``ResultRecord.method.name``, or ``name[variant]`` for a variant
    dataset  str    test dataset (``protocol.test.dataset``)
    ratio    float  query mask ratio (``protocol.test.text_mask.ratio``; 0.0 = unmasked)
    metric   str    R1, R5, R10, mAP, mINP (and i2t_* when scored)
    value    float  the metric as a fraction in [0, 1] (mean over repeats)
    std      float  population std (ddof=0) over repeats (0.0 for one repeat)
    repeats  int    number of maskings averaged
    strategy str    mask / unk / delete
    protocol_version int

:func:`textmask_table` and :func:`robustness_plot` need only the first five columns; ``std`` is used
when present. Tables are in percent (values x 100), deltas in percentage points.

The *t2i frame* (:func:`t2i_frame`) has ``method, train, dataset, metric, value, protocol``; it feeds
:func:`cross_dataset_table` (seed 004 Table 1: rows = training set, columns = test set x metric).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness.errors import ConfigError, ResultError
from harness.results.identity import format_ratio

if TYPE_CHECKING:
    import pandas as pd

    from harness.results.schema import ResultRecord

REQUIRED = ("method", "dataset", "ratio", "metric", "value")
TEXTMASK_PROTOCOL = "textmask"


def method_label(record: ResultRecord) -> str:
    """``name``, or ``name[variant]`` when the record used a variant."""
    variant = record.method.variant
    return record.method.name if not variant else f"{record.method.name}[{variant}]"


def read_records(results_dir: Path) -> list[ResultRecord]:
    """Every result record under ``results_dir`` (the validating reader, ``harness.results``)."""
    from harness.results.io import read_records as read_all

    return [f.record for f in read_all(Path(results_dir))]


def textmask_frame(records: Iterable[ResultRecord]) -> pd.DataFrame:
    """The long text-mask frame (module docstring) of the records that carry ``text_mask``."""
    import pandas as pd

    rows = []
    for record in records:
        mask = record.settings.text_mask
        if mask is None:
            continue
        for metric, value in record.metrics.items():
            rows.append(
                {
                    "method": method_label(record),
                    "dataset": record.protocol.test.dataset,
                    "ratio": float(mask.ratio),
                    "metric": metric,
                    "value": float(value),
                    "std": float(record.metrics_std.get(metric, 0.0)),
                    "repeats": mask.repeats,
                    "strategy": mask.strategy,
                    "protocol_version": record.protocol.version,
                }
            )
    return pd.DataFrame(rows, columns=[*REQUIRED, "std", "repeats", "strategy", "protocol_version"])


def t2i_frame(records: Iterable[ResultRecord]) -> pd.DataFrame:
    """Long frame of unmasked text-to-image records (protocols without ``text_mask``)."""
    import pandas as pd

    rows = []
    for record in records:
        test = record.protocol.test
        if record.protocol.kind != "text" or record.settings.text_mask is not None:
            continue
        train = "+".join(src.dataset for src in record.protocol.train) or "(none)"
        for metric, value in record.metrics.items():
            rows.append(
                {
                    "method": method_label(record),
                    "train": train,
                    "dataset": test.dataset,
                    "metric": metric,
                    "value": float(value),
                    "protocol": record.protocol.name,
                }
            )
    return pd.DataFrame(rows, columns=["method", "train", "dataset", "metric", "value", "protocol"])


def _check(df: pd.DataFrame, required: Sequence[str] = REQUIRED) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise ResultError(f"text-mask frame lacks columns {missing}; expected at least {list(required)}")
    if df.empty:
        raise ResultError(
            "no text-mask results to tabulate (run `harness run --protocol textmask ...` first)"
        )
    if "protocol_version" in df.columns and df["protocol_version"].nunique() > 1:
        versions = sorted(df["protocol_version"].unique().tolist())
        raise ResultError(
            f"results mix textmask protocol versions {versions}; tabulate one version at a time"
        )
    keys = [c for c in required if c != "value"]
    duplicated = df[df.duplicated(keys, keep=False)]
    if not duplicated.empty:
        first = duplicated.iloc[0]
        cell = ", ".join(f"{k} {first[k]!r}" for k in keys)
        raise ResultError(f"two results for {cell}; keep one record per cell")


def textmask_table(
    df: pd.DataFrame,
    *,
    baseline: str | None = None,
    metrics: Sequence[str] = ("R1", "mAP"),
    methods: Sequence[str] | None = None,
    with_std: bool = False,
) -> pd.DataFrame:
    """Seed 004 Table 2: one row per (dataset, ratio); per method its ``metrics`` in percent; per
    non-baseline method ``Δ <method> − <baseline> <metric>`` in percentage points.

    ``methods`` fixes the column order (default: the baseline first, then alphabetical).
    ``with_std`` adds ``<method> <metric> std`` columns.
    """
    import pandas as pd

    _check(df)
    present = sorted(df["method"].unique().tolist())
    if baseline is not None and baseline not in present:
        raise ConfigError(f"--baseline {baseline!r} has no text-mask results; methods: {', '.join(present)}")
    order = (
        list(methods) if methods else ([baseline] if baseline else []) + [m for m in present if m != baseline]
    )
    unknown = [m for m in order if m not in present]
    if unknown:
        raise ConfigError(f"no text-mask results for {unknown}; methods: {', '.join(present)}")
    missing_metrics = [m for m in metrics if m not in set(df["metric"])]
    if missing_metrics:
        raise ConfigError(
            f"metrics {missing_metrics} are not in the results; have {sorted(set(df['metric']))}"
        )
    sub = df[df["metric"].isin(metrics) & df["method"].isin(order)]
    wide = sub.pivot_table(
        index=["dataset", "ratio"], columns=["method", "metric"], values="value", aggfunc="first"
    )
    std = None
    if with_std and "std" in sub.columns:
        std = sub.pivot_table(
            index=["dataset", "ratio"], columns=["method", "metric"], values="std", aggfunc="first"
        )
    table = pd.DataFrame(index=wide.index)
    for method in order:
        for metric in metrics:
            table[f"{method} {metric}"] = 100 * wide.get((method, metric))
            if std is not None:
                table[f"{method} {metric} std"] = 100 * std.get((method, metric))
    if baseline is not None:
        for method in order:
            if method == baseline:
                continue
            for metric in metrics:
                table[f"Δ {method} − {baseline} {metric}"] = (
                    table[f"{method} {metric}"] - table[f"{baseline} {metric}"]
                )
    return table.reset_index().sort_values(["dataset", "ratio"], kind="stable").reset_index(drop=True)


def cross_dataset_table(
    df: pd.DataFrame, method: str, *, metrics: Sequence[str] = ("R1", "mAP")
) -> pd.DataFrame:
    """Seed 004 Table 1 for one method: rows = training set, columns ``<test set> <metric>`` (percent)."""
    _check(df, ("method", "train", "dataset", "metric", "value"))
    sub = df[(df["method"] == method) & df["metric"].isin(metrics)]
    if sub.empty:
        raise ConfigError(f"no text-to-image results for method {method!r}")
    wide = sub.pivot_table(index="train", columns=["dataset", "metric"], values="value", aggfunc="first")
    wide.columns = [f"{d} {m}" for d, m in wide.columns]
    return (100 * wide).reset_index()


COMPLEXITY_ACCURACY = ("R1", "mAP")


def _label(cost: dict) -> str:
    return cost["method"] if not cost.get("variant") else f"{cost['method']}[{cost['variant']}]"


def _millions(n: int | None) -> float:
    return float("nan") if n is None else n / 1e6


def _giga(block: dict | None) -> float:
    return float("nan") if block is None else block["flops"] / 1e9


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


def complexity_table(
    costs: Sequence[dict], *, accuracy: dict[str, dict[str, float]] | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """Seed 004 Table 3 from cost blocks (:func:`harness.text.complexity.method_cost`): one row per
    method with params (M: total, image tower, text tower), GFLOPs per image and per text, GMACs of
    one image plus one text, and the inference time (s) over the test set; ``R1 (%)`` and
    ``mAP (%)`` columns when ``accuracy`` (``method -> {metric: fraction}``) is given. Returns the
    table and its footnotes (conventions, and whether the time was measured or extrapolated, where).
    """
    import pandas as pd

    if not costs:
        raise ConfigError("no methods to tabulate; give at least one --method")
    rows = []
    for cost in costs:
        image, text = cost["flops_per_image"], cost.get("flops_per_text")
        seconds = cost.get("test_set", {}).get("compute_s")
        row = {
            "Method": _label(cost),
            "Params (M)": _millions(cost["params"]["total"]),
            "Params image (M)": _millions(cost["params"]["image"]),
            "Params text (M)": _millions(cost["params"]["text"]),
            "GFLOPs/image": _giga(image),
            "GFLOPs/text": _giga(text),
            "GMACs image+text": (image["flops"] + (text["flops"] if text else 0)) / 2e9,
            "Inference time (s)": float("nan") if seconds is None else float(seconds),
        }
        if accuracy is not None:
            for metric in COMPLEXITY_ACCURACY:
                value = accuracy.get(row["Method"], {}).get(metric)
                row[f"{metric} (%)"] = float("nan") if value is None else 100 * value
        rows.append(row)
    table = pd.DataFrame(rows)
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
    by_weights: dict[str, list[str]] = {}
    for cost in costs:
        by_weights.setdefault(cost["weights"], []).append(_label(cost))
    notes.append(
        "Weights: "
        + "; ".join(f"{kind} ({', '.join(names)})" for kind, names in by_weights.items())
        + "; params, FLOPs and time do not depend on the weight values"
    )
    if accuracy is not None:
        notes.append("R1 / mAP: measured t2i records (text-to-image, percent); '-' where none was given")
    return table, notes


def t2i_accuracy(records: Iterable[ResultRecord], dataset: str) -> dict[str, dict[str, float]]:
    """``method -> {R1, mAP}`` (fractions) of the in-domain ``t2i`` records on ``dataset``."""
    frame = t2i_frame(records)
    sub = frame[(frame["protocol"] == "t2i") & (frame["dataset"] == dataset)]
    out: dict[str, dict[str, float]] = {}
    for row in sub.itertuples(index=False):
        if row.metric in COMPLEXITY_ACCURACY:
            out.setdefault(row.method, {})[row.metric] = float(row.value)
    return out


def format_table(table: pd.DataFrame, fmt: str = "md", *, decimals: int = 2) -> str:
    """``md`` (a GitHub table; deltas signed) or ``csv``."""
    if fmt == "csv":
        return table.to_csv(index=False, float_format=f"%.{decimals}f")
    if fmt != "md":
        raise ConfigError(f"--format must be md or csv, got {fmt!r}")

    def cell(column: str, value: object) -> str:
        if column == "ratio" and isinstance(value, float):
            return format_ratio(value)
        if isinstance(value, float):
            if value != value:  # NaN
                return "-"
            if column.startswith("Δ"):
                return f"{value:+.{decimals}f}"
            if 0 < abs(value) < 0.5 * 10**-decimals:  # would print as zero: keep two significant digits
                return f"{value:.1e}"
            return f"{value:.{decimals}f}"
        return str(value)

    header = [str(c) for c in table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(cell(h, v) for h, v in zip(header, row, strict=True)) + " |")
    return "\n".join(lines) + "\n"


def robustness_plot(
    df: pd.DataFrame, path: Path, *, metric: str = "R1", methods: Sequence[str] | None = None
) -> Path:
    """Robustness curves: ``metric`` (percent) against mask ratio, one panel per dataset, one line per
    method with the std over repeats as error bars. Written atomically; format from the suffix."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    _check(df)
    sub = df[df["metric"] == metric]
    if sub.empty:
        raise ConfigError(f"metric {metric!r} is not in the results; have {sorted(set(df['metric']))}")
    datasets = sorted(sub["dataset"].unique().tolist())
    order = list(methods) if methods else sorted(sub["method"].unique().tolist())
    fig, axes = plt.subplots(1, len(datasets), figsize=(4 * len(datasets), 3.4), squeeze=False, sharey=True)
    for ax, dataset in zip(axes[0], datasets, strict=True):
        for method in order:
            part = sub[(sub["dataset"] == dataset) & (sub["method"] == method)].sort_values("ratio")
            if part.empty:
                continue
            err = 100 * part["std"] if "std" in part.columns else None
            ax.errorbar(part["ratio"], 100 * part["value"], yerr=err, marker="o", capsize=3, label=method)
        ax.set_title(dataset)
        ax.set_xlabel("query mask ratio")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"{metric} (%)")
    axes[0][-1].legend(fontsize="small")
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix or ".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=120)
        os.replace(tmp, path)
    finally:
        plt.close(fig)
        Path(tmp).unlink(missing_ok=True)
    return path
