"""``harness profile`` needs no checkpoint and rounds its numbers to significant figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.cli.app import app
from harness.cli.profile_cmd import significant
from harness.methods import METHODS
from harness.reports.complexity import COST_COLUMNS


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.04123, "0.0412"),
        (0.99996, "1.00"),
        (4.123, "4.12"),
        (41.26, "41.3"),
        (412.3, "412"),
        (4123.4, "4,120"),
        (41234.5, "41,200"),
        (0.0, "0"),
    ],
)
def test_significant_figures(value: float, text: str) -> None:
    assert significant(value) == text


def test_profile_without_weights_is_random_init_and_says_so(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry
) -> None:
    card = {
        "name": "needs-weights",
        "title": "a method with a checkpoint",
        "family": "tests.models.byo_nets:build",
        "input_size": [32, 16],
        "test_feature": "pooled",
        "checkpoints": {"default": {"file": "w.pth"}},
    }
    (tmp_path / "cards" / "needs-weights").mkdir(parents=True)
    (tmp_path / "cards" / "needs-weights" / "method.yaml").write_text(yaml.safe_dump(card))
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(tmp_path / "cards"))
    reset_registry(METHODS)
    args = ["profile", "-m", "needs-weights", "--iters", "1", "--warmup", "0", "--batch-size", "2"]
    result = cli.invoke(app, [*args, "--device", "cpu", "--json", str(tmp_path / "c.json")])
    assert result.exit_code == 0, result.output
    assert "weights: random init" in result.output
    assert "Params total (M)" in result.output and "Throughput b2 (img/s)" in result.output
    cost = json.loads((tmp_path / "c.json").read_text())
    assert cost["weights"] == "random-init" and cost["params"]["total"] == 16 * 27 + 16 + 2 * 16
    missing = cli.invoke(app, [*args, "--weights", str(tmp_path / "absent.pth")])
    assert missing.exit_code == 2 and "absent.pth" in missing.output


class _Clock:
    """A clock that advances 1 ms per reading: every timing is the same on every run."""

    def __init__(self) -> None:
        self.ns = 0

    def perf_counter_ns(self) -> int:
        self.ns += 1_000_000
        return self.ns

    def perf_counter(self) -> float:
        return self.perf_counter_ns() / 1e9


@pytest.fixture()
def steady_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("harness.profiling.timing.time", _Clock())
    monkeypatch.setattr("harness.profiling.test_set.time", _Clock())


def _t2i_results(folder: Path) -> Path:
    from tests.reports.records import make_record, write_records

    record = make_record(
        "attr-match",
        "t2i",
        "cuhk-pedes",
        target="cuhk-pedes",
        metrics={"R1": 0.75, "mAP": 0.5},
        test_extra={"query_modality": "text"},
    )
    return write_records(folder, [record])


SIZES = ["--input", "32x16", "--batch-size", "8", "--iters", "1"]
ALIAS = ["text", "complexity", "-m", "attr-match", "-m", "tiny-clip", "--random-init", *SIZES]
ALIAS += ["--texts", "30", "--images", "20"]
CANONICAL = ["profile", "-m", "attr-match", "-m", "tiny-clip", "--random-init", *SIZES, "--warmup", "2"]
CANONICAL += ["--test-texts", "30", "--test-images", "20"]


@pytest.mark.parametrize("extra", [["--format", "md"], ["--format", "csv", "--measure-all"]])
def test_text_complexity_is_an_alias_of_profile(
    cli, tiny_text_cards, steady_clock, tmp_path: Path, extra: list[str]
) -> None:
    """The alias and the canonical command print the same table (timings from a steady clock)."""
    results = ["--results", str(_t2i_results(tmp_path / "r"))]
    alias = cli.invoke(app, [*ALIAS, *extra, *results])
    canonical = cli.invoke(app, [*CANONICAL, *extra, *results])
    assert alias.exit_code == 0, alias.output
    assert canonical.exit_code == 0, canonical.output
    assert alias.output == canonical.output
    assert "attr-match" in alias.output and "tiny-clip" in alias.output and "75.00" in alias.output


def _md_rows(output: str) -> dict[str, dict[str, str]]:
    lines = [line for line in output.splitlines() if line.startswith("| ")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    return {
        cells[0].strip("*"): dict(zip(header, cells, strict=True))
        for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])
    }


def test_complexity_table_from_the_cli(cli, tiny_text_cards, tmp_path: Path) -> None:
    results = _t2i_results(tmp_path / "r")
    result = cli.invoke(app, [*ALIAS, "--results", str(results)])
    assert result.exit_code == 0, result.output
    rows = _md_rows(result.output)
    assert list(rows) == ["attr-match", "tiny-clip"]
    assert list(rows["attr-match"]) == ["Method", *COST_COLUMNS, "R1 (%)", "mAP (%)"]
    assert (rows["attr-match"]["R1 (%)"], rows["attr-match"]["mAP (%)"]) == ("75.00", "50.00")
    assert (rows["tiny-clip"]["R1 (%)"], rows["tiny-clip"]["mAP (%)"]) == ("-", "-")
    assert "Inference time over 30 texts and 20 images at 32x16, extrapolated" in result.output
    csv = cli.invoke(app, [*ALIAS, "--format", "csv"])
    assert csv.exit_code == 0 and "group,kind,Method,Params (M),Params image (M)" in csv.output
    assert "note 3: Inference time over 30 texts" in csv.output  # footnotes on stderr
    latex = cli.invoke(app, [*CANONICAL, "--format", "latex"])
    assert latex.exit_code == 0 and r"\begin{tabular}" in latex.output and "tiny-clip" in latex.output


def test_complexity_options_are_checked(cli, tiny_text_cards, tmp_path: Path) -> None:
    bad = cli.invoke(app, [*ALIAS, "--weights", "irra=/nope.pth"])
    assert bad.exit_code == 2 and "not among --method" in bad.output
    # the alias keeps its contract: without --random-init a method loads its own weights or says which
    needs = cli.invoke(app, ["text", "complexity", "-m", "tiny-clip", "--input", "32x16"])
    assert needs.exit_code == 2 and "tiny.pth" in needs.output
    own = cli.invoke(app, ["profile", "-m", "tiny-clip", "--own-weights", "--input", "32x16"])
    assert own.exit_code == 2 and "tiny.pth" in own.output  # the canonical form of the same contract
    both = cli.invoke(app, ["profile", "-m", "tiny-clip", "--own-weights", "--random-init"])
    assert both.exit_code == 2 and "give --random-init or --own-weights, not both" in both.output
    fixed = cli.invoke(app, ["text", "complexity", "-m", "tiny-clip", "--random-init", "--input", "64x32"])
    assert fixed.exit_code == 2 and "method 'tiny-clip' at --input 64x32" in fixed.output
    no_test_set = cli.invoke(app, ["profile", "-m", "attr-match", "--format", "md"])
    assert no_test_set.exit_code == 2 and "needs a test set: give --test-texts" in no_test_set.output
    table = cli.invoke(app, ["profile", "-m", "attr-match", "--results", str(tmp_path)])
    assert table.exit_code == 2 and "--results adds R1/mAP columns" in table.output
    fmt = cli.invoke(app, ["text", "complexity", "-m", "attr-match", "--format", "table"])
    assert fmt.exit_code == 2 and "--format 'table': expected one of md, latex, csv, html" in fmt.output
    dataset = cli.invoke(app, [*CANONICAL, "--format", "md", "--results", str(tmp_path), "--dataset", "cuhk"])
    assert dataset.exit_code == 2 and "--dataset: unknown dataset 'cuhk'" in dataset.output


def test_missing_checkpoint_message_names_options_the_command_has(cli) -> None:
    # a method that needs weights, profiled with its own weights and none given
    result = cli.invoke(app, ["text", "complexity", "-m", "irra", "--texts", "3", "--images", "2"])
    assert result.exit_code == 2
    assert "--weights" in result.output and "--random-init" in result.output
    commands = (["profile", "-m", "hsv-hist", "--input", "32x16"], ["text", "complexity", "-m", "attr-match"])
    for args in commands:
        ok = cli.invoke(app, [*args, "--trust-checkpoint", "--batch-size", "2", "--iters", "1", "--help"])
        assert ok.exit_code == 0 and "--trust-checkpoint" in ok.output  # both commands take it
