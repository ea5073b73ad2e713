"""Real result records for the paper tables: every protocol that feeds a table, run once per session.

``paper_runs`` runs ``harness run`` (in process, through the CLI) on the tiny synthetic world with
the weights-free methods: ``hsv-hist`` for image protocols, ``attr-match`` for text protocols
(``--profile`` on the CUHK-PEDES leg for the complexity table). Settings that change numbers go to
their own sub-folder of one results root (``plain``, ``rerank``, ``aqe``), so no run replaces
another's record; ``harness report --with-measured ROOT`` reads them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

IMAGE_METHOD = "hsv-hist"
TEXT_METHOD = "attr-match"

RUNS: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    # (method, protocol, extra arguments, sub-folder)
    (IMAGE_METHOD, "single", (), "plain"),
    (IMAGE_METHOD, "jmcm", (), "plain"),
    (IMAGE_METHOD, "cross", (), "plain"),
    (IMAGE_METHOD, "p2", (), "plain"),
    (IMAGE_METHOD, "p3", (), "plain"),
    (IMAGE_METHOD, "single", ("--rerank",), "rerank"),
    (IMAGE_METHOD, "jmcm", ("--rerank", "k1=20,k2=6,lambda=0.3"), "rerank"),
    (IMAGE_METHOD, "single", ("--leg", "market1501", "--aqe"), "aqe"),
    (IMAGE_METHOD, "single", ("--leg", "msmt17", "--rerank", "k1=10"), "rerank-k10"),
    (TEXT_METHOD, "t2i", (), "plain"),
    (TEXT_METHOD, "t2i", ("--leg", "cuhk-pedes", "--profile"), "plain"),
    (TEXT_METHOD, "t2i-cross", (), "plain"),
    (TEXT_METHOD, "textmask", (), "plain"),
)


@dataclass(frozen=True)
class PaperRuns:
    """The results root and the world the records were made on."""

    root: Path
    world: Path

    def record(self, sub: str, method: str, protocol: str, leg: str) -> Path:
        """The record file of one run (``sub``: the settings folder), found by reading the records."""
        from harness.results.io import iter_record_paths, read_record

        for path in iter_record_paths(self.root / sub):
            r = read_record(path)
            if (r.method.name, r.protocol.name, r.protocol.leg) == (method, protocol, leg):
                return path
        raise LookupError(f"no record of {method} {protocol}/{leg} under {self.root / sub}")


@pytest.fixture(scope="session")
def paper_runs(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> PaperRuns:
    from harness.cli.app import app

    root = tmp_path_factory.mktemp("paper-runs")
    cache = tmp_path_factory.mktemp("paper-runs-cache")
    runner = CliRunner()
    for method, protocol, extra, sub in RUNS:
        args = ["run", "-p", protocol, "-m", method, "--data-root", str(tiny_world), "--out", str(root / sub)]
        args += ["--device", "cpu", "--no-progress", "--cache-dir", str(cache), *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    return PaperRuns(root=root, world=tiny_world)
