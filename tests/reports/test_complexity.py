"""The complexity table (seed 004 Table 3 shape) built from profiled cost blocks, and its R1/mAP
columns read from records made by ``harness run`` through the one record reader."""

from __future__ import annotations

import math

import pytest

from harness.errors import ConfigError
from harness.methods import load_method
from harness.profiling.profile import ProfileSettings, profile_method
from harness.reports.complexity import Accuracy, complexity_table, t2i_accuracy
from harness.reports.measured import load_measured
from harness.reports.render import render
from tests.reports.conftest import TEXT_METHOD, PaperRuns

SMALL = {
    "input_size": (32, 16),
    "batch_size": 8,
    "iters": 1,
    "warmup": 1,
    "test_images": 20,
    "test_texts": 30,
}


@pytest.fixture()
def costs(tiny_text_cards) -> list[dict]:
    attr = load_method("attr-match", device="cpu")
    clip = load_method("tiny-clip", device="cpu", random_init=True)
    return [
        profile_method(attr, ProfileSettings(**SMALL)),
        profile_method(clip, ProfileSettings(measure_all=True, **SMALL)),
    ]


def _values(table) -> dict[str, dict[str, float | None]]:
    header = [c.header[-1] for c in table.columns]
    return {
        row.label[0]: {h: c.parts[0].value for h, c in zip(header, row.cells, strict=True)}
        for row in table.rows()
    }


def test_table_rows_follow_the_profiler(costs) -> None:
    table = complexity_table(costs)
    values = _values(table)
    assert list(values) == ["attr-match", "tiny-clip"]
    clip, cost = values["tiny-clip"], costs[1]
    assert clip["Params (M)"] == cost["params"]["total"] / 1e6 > 0
    assert (
        0 < clip["Params image (M)"] < clip["Params (M)"] and 0 < clip["Params text (M)"] < clip["Params (M)"]
    )
    assert clip["GFLOPs/image"] == cost["flops_per_image"]["flops"] / 1e9 > 0
    assert clip["GFLOPs/text"] == cost["flops_per_text"]["flops"] / 1e9 > 0
    assert math.isclose(clip["GMACs image+text"], (clip["GFLOPs/image"] + clip["GFLOPs/text"]) / 2)
    assert clip["Inference time (s)"] == pytest.approx(cost["test_set"]["compute_s"])
    attr = costs[0]
    expected = 20 / attr["throughput_image"]["items_per_s"] + 30 / attr["throughput_text"]["items_per_s"]
    assert values["attr-match"]["Inference time (s)"] == pytest.approx(expected)
    assert values["attr-match"]["Params (M)"] == 0  # weights-free
    text = "\n".join(table.footnotes)
    assert "attr-match: Inference time over 30 texts and 20 images at 32x16, extrapolated" in text
    assert "tiny-clip: Inference time over 30 texts and 20 images at 32x16, measured" in text
    assert "on cpu, fp32" in text and "1 multiply-add = 2 FLOPs" in text
    assert "weights-free (attr-match); random-init (tiny-clip)" in text
    assert table.rank_by == "none"  # cost of random-init and weights-free models: nothing to rank


def test_accuracy_columns_marks_and_errors(costs) -> None:
    accuracy = {
        "tiny-clip": {
            "R1": Accuracy(50.0, "/x/r/a.json", True, "r/a.json"),
            "mAP": Accuracy(25.0, "/x/r/a.json", False, "r/a.json"),
        }
    }
    table = complexity_table(costs, accuracy=accuracy, dataset="cuhk-pedes")
    assert [c.header[-1] for c in table.columns][-2:] == ["R1 (%)", "mAP (%)"]
    attr, clip = table.rows()
    assert (
        clip.cells[-2].text == "50.00" and clip.cells[-1].text == "25.00†" and clip.sources == ("r/a.json",)
    )
    assert attr.cells[-1].text == "-" and attr.sources == ()
    assert any(n.startswith("† from random-init weights") for n in table.footnotes)
    assert any(
        "records on cuhk-pedes (text-to-image, percent, default settings): tiny-clip: r/a.json;" in n
        for n in table.footnotes
    )
    md = render(table, "md")
    assert "| *attr-match* |" in md and md.rstrip().endswith("not comparable with papers")
    with pytest.raises(ConfigError, match="at least one --method"):
        complexity_table([])


def test_accuracy_comes_from_run_records(paper_runs: PaperRuns) -> None:
    """R1/mAP of the t2i record that `harness run` wrote, in percent, with its path and † status."""
    import json

    path = paper_runs.record(TEXT_METHOD, "t2i", "cuhk-pedes")
    record = json.loads(path.read_text())
    accuracy = t2i_accuracy(load_measured(paper_runs.root), "cuhk-pedes")
    got = accuracy[TEXT_METHOD]
    assert got["R1"].value == pytest.approx(100 * record["metrics"]["R1"])
    assert got["mAP"].value == pytest.approx(100 * record["metrics"]["mAP"])
    assert got["R1"].path == str(path) and got["R1"].reportable is False  # synthetic data
    assert got["R1"].display_path == path.relative_to(paper_runs.root).as_posix()
    assert t2i_accuracy(load_measured(paper_runs.root), "rstpreid")[TEXT_METHOD]["R1"].path != str(path)


def test_image_only_method_says_why_it_has_no_test_set_time() -> None:
    hsv = load_method("hsv-hist", device="cpu")
    table = complexity_table([profile_method(hsv, ProfileSettings(**SMALL))])
    assert _values(table)["hsv-hist"]["Inference time (s)"] is None
    assert any(n.startswith("hsv-hist: image-only (no text tower)") for n in table.footnotes)
