"""Cost of text-to-image methods for the complexity table (seed 004 Table 3): params, FLOPs, and the
inference time over a test set of ``texts`` captions and ``images`` images at ``HxW``.

:func:`method_cost` returns :func:`harness.profiling.profile.profile_method`'s block (params per
tower, FLOPs per image and per text, latency, throughput) with its ``test_set`` entry set one of
two ways, recorded in ``test_set.how``:

* ``extrapolated`` (default): ``images / image throughput + texts / text throughput``, the
  throughputs being the median of timed in-memory batches of ``batch_size`` (profile_method's);
* ``measured``: every one of the ``images`` blank images and ``texts`` captions is encoded, in
  batches of ``batch_size``, after one warm-up batch of each, and the total wall time is taken (CUDA
  synchronised before the clock is read).

Both are model compute: inputs are tensors already on the device (images) or caption strings
(texts, tokenised inside the timed call, as a run does); decoding, preprocessing and scoring are
excluded. The caption is :data:`harness.profiling.profile.DEFAULT_CAPTION` (CLIP-family towers pad
every caption to the context length, so their text cost does not depend on it).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import ConfigError
from harness.profiling.profile import DEFAULT_CAPTION, ProfileSettings, profile_method

if TYPE_CHECKING:
    import pandas as pd

CUHK_PEDES_TEST = {"texts": 6156, "images": 3074, "input_size": (384, 128)}
"""Seed 004 Table 3's test set: CUHK-PEDES test, 6,156 captions and 3,074 images at 384x128."""


def device_name(device: Any) -> str:
    """``cpu`` or ``cuda:0 (NVIDIA H100 80GB HBM3)``."""
    import torch

    device = torch.device(device)
    if device.type == "cuda":
        return f"{device} ({torch.cuda.get_device_name(device)})"
    return str(device)


def _sync(device: Any) -> None:
    import torch

    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def measure_test_set(
    method: Any, *, images: int, texts: int, input_size: tuple[int, int], batch_size: int
) -> dict[str, Any]:
    """Wall time of encoding ``images`` blank images and ``texts`` captions (module docstring)."""
    import torch

    height, width = input_size
    device = method.device

    def camids(n: int):
        return torch.zeros(n, dtype=torch.long, device=device) if method.needs_camids else None

    batch = torch.zeros(batch_size, 3, height, width, device=device)
    captions = [DEFAULT_CAPTION] * batch_size

    def encode_images(n: int) -> None:
        method.encode_image(batch[:n], camids(n))

    def encode_texts(n: int) -> None:
        method.encode_text(captions[:n])

    timed: dict[str, float] = {}
    for kind, total, encode in (("images", images, encode_images), ("texts", texts, encode_texts)):
        if total == 0:
            timed[kind] = 0.0
            continue
        if kind == "texts" and not method.has_text:
            raise ConfigError(f"method {method.name!r} has no text encoder; give --texts 0")
        encode(min(batch_size, total))  # warm-up
        _sync(device)
        tick = time.perf_counter()
        for start in range(0, total, batch_size):
            encode(min(batch_size, total - start))
        _sync(device)
        timed[kind] = time.perf_counter() - tick
    return {
        "images": images,
        "texts": texts,
        "compute_s": timed["images"] + timed["texts"],
        "images_s": timed["images"],
        "texts_s": timed["texts"],
        "batch_size": batch_size,
        "how": "measured",
    }


def method_cost(
    method: Any,
    *,
    input_size: tuple[int, int] | None = None,
    images: int = CUHK_PEDES_TEST["images"],
    texts: int = CUHK_PEDES_TEST["texts"],
    batch_size: int = 64,
    measure_all: bool = False,
    warmup: int = 2,
    iters: int = 5,
) -> dict[str, Any]:
    """The profile block of ``method`` with ``test_set`` extrapolated or measured, and ``device_name``."""
    size = input_size or tuple(method.input_size)
    cost = profile_method(
        method,
        ProfileSettings(
            input_size=size,
            batch_size=batch_size,
            warmup=warmup,
            iters=iters,
            test_images=0 if measure_all else images,
            test_texts=0 if measure_all else texts,
        ),
    )
    if measure_all:
        cost["test_set"] = measure_test_set(
            method, images=images, texts=texts, input_size=size, batch_size=batch_size
        )
    else:
        block = cost.get("test_set") or {"images": images, "texts": texts, "compute_s": 0.0}
        block["how"] = "extrapolated"
        block["batch_size"] = batch_size
        block["iters"] = cost["throughput_image"]["iters"]
        cost["test_set"] = block
    cost["device_name"] = device_name(method.device)
    return cost


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
    ``mAP (%)`` columns when ``accuracy`` (``method -> {metric: percent}``) is given. Returns the
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
                row[f"{metric} (%)"] = float("nan") if value is None else value
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


def t2i_accuracy(results_dir: Path, dataset: str) -> dict[str, dict[str, float]]:
    """``method -> {R1, mAP}`` (percent) of the in-domain ``t2i`` records on ``dataset`` under
    ``results_dir`` evaluated with the default settings (the one measured frame,
    :func:`harness.reports.frame.measured_frame`)."""
    from harness.reports.frame import measured_frame
    from harness.reports.measured import load_measured

    plain = [m for m in load_measured(results_dir) if not m.setting_parts]
    frame = measured_frame(plain)
    sub = frame[
        (frame["protocol"] == "t2i")
        & (frame["dataset"] == dataset)
        & frame["metric"].isin(COMPLEXITY_ACCURACY)
    ]
    out: dict[str, dict[str, float]] = {}
    for row in sub.itertuples(index=False):
        out.setdefault(row.method, {})[row.metric] = float(row.value)
    return out


def format_table(table: pd.DataFrame, fmt: str = "md", *, decimals: int = 2) -> str:
    """``md`` (a GitHub table; deltas signed) or ``csv``."""
    if fmt == "csv":
        return table.to_csv(index=False, float_format=f"%.{decimals}f")
    if fmt != "md":
        raise ConfigError(f"--format must be md or csv, got {fmt!r}")

    def cell(column: str, value: object) -> str:
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
