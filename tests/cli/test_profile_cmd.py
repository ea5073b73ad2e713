"""``harness profile`` needs no checkpoint and rounds its numbers to significant figures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.cli.app import app
from harness.cli.profile_cmd import significant
from harness.methods import METHODS


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
