"""The complexity table (seed 004 Table 3 shape) from the profiler, and ``harness text complexity``."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.errors import ConfigError
from harness.methods import load_method
from harness.text.complexity import complexity_table, format_table, method_cost

SMALL = {"input_size": (32, 16), "images": 20, "texts": 30, "batch_size": 8, "iters": 1, "warmup": 1}


@pytest.fixture()
def costs(tiny_text_cards) -> list[dict]:
    attr = load_method("attr-match", device="cpu")
    clip = load_method("tiny-clip", device="cpu", random_init=True)
    return [method_cost(attr, **SMALL), method_cost(clip, measure_all=True, **SMALL)]


def test_table_rows_follow_the_profiler(costs) -> None:
    table, notes = complexity_table(costs)
    assert list(table["Method"]) == ["attr-match", "tiny-clip"]
    clip = table.set_index("Method").loc["tiny-clip"]
    cost = costs[1]
    assert clip["Params (M)"] == cost["params"]["total"] / 1e6 > 0
    assert (
        0 < clip["Params image (M)"] < clip["Params (M)"] and 0 < clip["Params text (M)"] < clip["Params (M)"]
    )
    assert clip["GFLOPs/image"] == cost["flops_per_image"]["flops"] / 1e9 > 0
    assert clip["GFLOPs/text"] == cost["flops_per_text"]["flops"] / 1e9 > 0
    assert math.isclose(clip["GMACs image+text"], (clip["GFLOPs/image"] + clip["GFLOPs/text"]) / 2)
    # measured: every item encoded; the split adds up
    test = cost["test_set"]
    assert test["how"] == "measured" and (test["images"], test["texts"]) == (20, 30)
    assert test["images_s"] > 0 and test["texts_s"] > 0
    assert clip["Inference time (s)"] == pytest.approx(test["images_s"] + test["texts_s"])
    # extrapolated: items / measured throughput
    attr = costs[0]
    expected = 20 / attr["throughput_image"]["items_per_s"] + 30 / attr["throughput_text"]["items_per_s"]
    assert attr["test_set"]["how"] == "extrapolated"
    assert table.set_index("Method").loc["attr-match", "Inference time (s)"] == pytest.approx(expected)
    assert table.set_index("Method").loc["attr-match", "Params (M)"] == 0  # weights-free
    text = "\n".join(notes)
    assert "attr-match: Inference time over 30 texts and 20 images at 32x16, extrapolated" in text
    assert "tiny-clip: Inference time over 30 texts and 20 images at 32x16, measured" in text
    assert "on cpu, fp32" in text and "1 multiply-add = 2 FLOPs" in text
    assert "weights-free (attr-match); random-init (tiny-clip)" in text


def test_accuracy_columns_and_errors(costs) -> None:
    table, _ = complexity_table(costs, accuracy={"tiny-clip": {"R1": 50.0, "mAP": 25.0}})
    assert list(table.columns[-2:]) == ["R1 (%)", "mAP (%)"]
    assert table.loc[1, "R1 (%)"] == 50 and math.isnan(table.loc[0, "mAP (%)"])
    assert "| attr-match |" in format_table(table) and "| - | - |" in format_table(table)
    with pytest.raises(ConfigError, match="at least one --method"):
        complexity_table([])


def test_cli_complexity(cli, tiny_text_cards, tmp_path: Path) -> None:
    from tests.reports.records import make_record, write_records

    results = write_records(
        tmp_path / "r",
        [
            make_record(
                "attr-match",
                "t2i",
                "cuhk-pedes",
                target="cuhk-pedes",
                metrics={"R1": 0.75, "mAP": 0.5},
                test_extra={"query_modality": "text"},
            )
        ],
    )
    args = ["text", "complexity", "-m", "attr-match", "-m", "tiny-clip", "--random-init", "--input", "32x16"]
    args += ["--texts", "30", "--images", "20", "--batch-size", "8", "--iters", "1"]
    result = cli.invoke(app, [*args, "--results", str(results)])
    assert result.exit_code == 0, result.output
    assert "| Method | Params (M) | Params image (M) | Params text (M) | GFLOPs/image" in result.output
    assert "| Inference time (s) | R1 (%) | mAP (%) |" in result.output
    assert "| 75.00 | 50.00 |" in result.output
    assert "Inference time over 30 texts and 20 images at 32x16, extrapolated" in result.output
    csv = cli.invoke(app, [*args, "--format", "csv"])
    assert csv.exit_code == 0 and "Method,Params (M),Params image (M)" in csv.output
    bad = cli.invoke(app, [*args, "--weights", "irra=/nope.pth"])
    assert bad.exit_code == 2 and "not among --method" in bad.output
    needs = cli.invoke(app, ["text", "complexity", "-m", "tiny-clip", "--input", "32x16"])
    assert needs.exit_code == 2 and "tiny.pth" in needs.output
    fixed = cli.invoke(app, ["text", "complexity", "-m", "tiny-clip", "--random-init", "--input", "64x32"])
    assert fixed.exit_code == 2 and "method 'tiny-clip' at --input 64x32" in fixed.output
