"""``--rerank`` / ``--aqe`` parameters: defaults, key=value pairs, clear errors, recorded settings."""

from __future__ import annotations

import json

import pytest

from harness.errors import ConfigError
from harness.protocols.run_settings import parse_params


def test_defaults_and_pairs() -> None:
    assert parse_params(None, "--rerank") is None
    assert parse_params("default", "--rerank") == {}
    assert parse_params("k1=20,k2=6,lambda=0.3", "--rerank") == {"k1": 20, "k2": 6, "lambda_value": 0.3}
    assert parse_params("qe_k=10,alpha=2", "--aqe") == {"qe_k": 10, "alpha": 2.0}


@pytest.mark.parametrize(
    ("text", "option", "message"),
    [
        ("k3=1", "--rerank", "expected key=value pairs with keys k1, k2, lambda"),
        ("k1=x", "--rerank", "k1 must be an integer"),
        ("lambda=2", "--rerank", "lambda_value must be in [0, 1]"),
        ("qe_k=0", "--aqe", "must be positive integers"),
    ],
)
def test_bad_parameters_name_the_option(text: str, option: str, message: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{option} '{text}': .*{message[:20]}"):
        parse_params(text, option)


def test_cli_records_the_chosen_parameters(cli, tiny_world, tmp_path) -> None:
    from harness.cli.app import app
    from harness.reported.cells import run_identity
    from harness.results.io import iter_record_paths, read_record

    base = ["run", "-p", "single", "--leg", "market1501", "-m", "hsv-hist", "--data-root", str(tiny_world)]
    base += ["--device", "cpu", "--no-progress", "--no-cache"]
    for sub, extra in (("a", ["--rerank"]), ("b", ["--rerank", "k1=10,lambda=0.5", "--aqe"])):
        result = cli.invoke(app, [*base, "--out", str(tmp_path / sub), *extra])
        assert result.exit_code == 0, result.output
    [a] = [read_record(p) for p in iter_record_paths(tmp_path / "a")]
    [b] = [read_record(p) for p in iter_record_paths(tmp_path / "b")]
    assert a.settings.rerank is not None and run_identity(a).settings.rerank == (20, 6, 0.3)
    assert run_identity(b).settings.rerank == (10, 6, 0.5) and run_identity(b).settings.aqe == (1, 5, 3.0)
    text_args = ["run", "-p", "t2i", "-m", "attr-match", "--data-root", str(tiny_world), "--rerank"]
    text = cli.invoke(app, [*text_args, "--out", str(tmp_path / "c")])
    assert text.exit_code == 2 and "image-query legs" in text.output
    assert b.settings.rerank.k1 == 10 and b.settings.aqe.qe_k == 5  # the record's settings block
    assert json.dumps(b.conventions["rerank"])  # and the evaluator's conventions
    from harness.results.identity import record_key

    assert record_key(a).leg_label == "market1501+rerank"  # the path carries the settings
    assert record_key(b).leg_label == "market1501+rerank-10-6-0.5+aqe"


def test_p1_prints_and_computes_the_four_target_average(cli, tiny_world, tmp_path) -> None:
    from harness.cli.app import app
    from harness.reports.averages import legs_average
    from harness.results.io import iter_record_paths, read_record

    args = ["run", "-p", "p1", "-m", "hsv-hist", "--data-root", str(tiny_world), "--out", str(tmp_path)]
    result = cli.invoke(app, [*args, "--device", "cpu", "--no-progress", "--no-cache"])
    assert result.exit_code == 0, result.output
    records = [read_record(p) for p in iter_record_paths(tmp_path)]
    average = legs_average(records, "p1")
    assert average["R1"] == pytest.approx(sum(r.metrics["R1"] for r in records) / 4)
    assert f"average over the 4 legs: R1 {100 * average['R1']:.1f}" in result.output
    assert legs_average(records[:3], "p1") is None  # every leg is needed


def test_a_protocol_file_may_set_rerank_parameters(tmp_path) -> None:
    from harness.errors import ProtocolError
    from harness.protocols.spec import load_protocol_file

    text = (
        "name: rr\nversion: 1\ntitle: t\n"
        "evaluation: {rerank: {k1: 10, k2: 3, lambda_value: 0.2}, aqe: true}\n"
        "legs:\n  - {name: m, test: {dataset: market1501}}\n"
    )
    path = tmp_path / "rr.yaml"
    path.write_text(text)
    spec = load_protocol_file(path)
    assert spec.evaluation.rerank == {"k1": 10, "k2": 3, "lambda_value": 0.2} and spec.evaluation.aqe is True
    path.write_text(text.replace("k1: 10", "k1: 0"))
    with pytest.raises(ProtocolError, match="rerank: k1 and k2 must be positive integers"):
        load_protocol_file(path)
