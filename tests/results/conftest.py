"""Records produced by ``harness run`` for two methods (hsv-hist, attr-match) on p1 and p2."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner


@pytest.fixture(scope="session")
def two_methods(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A results folder with hsv-hist and attr-match records on p1 (10 trials) and p2, run through the CLI."""
    from harness.cli.app import app

    out = tmp_path_factory.mktemp("two-methods")
    runner = CliRunner()
    for method in ("hsv-hist", "attr-match"):
        for protocol in ("p1", "p2"):
            args = ["run", "-p", protocol, "-m", method, "--data-root", str(tiny_world), "--out", str(out)]
            result = runner.invoke(app, [*args, "--no-progress", "--no-cache"])
            assert result.exit_code == 0, result.output
    return out


def record_file(root: Path, method: str, protocol: str, leg: str) -> Path:
    """The one record of ``method`` for ``protocol``/``leg`` under ``root``, whatever its settings slug
    (attr-match scores with its own convention: ``M+cosine.json``)."""
    found = [p for p in (root / method / protocol).glob("*.json") if p.stem.split("+")[0] == leg]
    assert len(found) == 1, found
    return found[0]
