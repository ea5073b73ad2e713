"""Real result records for the paper tables: every protocol that feeds a table, run once per session.

``paper_runs`` runs ``harness run`` (in process, through the CLI) on the tiny synthetic world with
the weights-free methods: ``hsv-hist`` for image protocols, ``attr-match`` for text protocols
(``--profile`` on the CUHK-PEDES leg for the complexity table), all into ONE results folder: a
record's path carries its settings (``market1501+rerank.json``), so no run replaces another's, and
``harness report --with-measured ROOT`` reads them all.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

IMAGE_METHOD = "hsv-hist"
TEXT_METHOD = "attr-match"

RUNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # (method, protocol, extra arguments)
    (IMAGE_METHOD, "single", ()),
    (IMAGE_METHOD, "jmcm", ()),
    (IMAGE_METHOD, "cross", ()),
    (IMAGE_METHOD, "p2", ()),
    (IMAGE_METHOD, "p3", ()),
    (IMAGE_METHOD, "single", ("--rerank",)),
    (IMAGE_METHOD, "jmcm", ("--rerank", "k1=20,k2=6,lambda=0.3")),
    (IMAGE_METHOD, "single", ("--leg", "market1501", "--aqe")),
    (IMAGE_METHOD, "single", ("--leg", "msmt17", "--rerank", "k1=10")),
    (TEXT_METHOD, "t2i", ()),
    (TEXT_METHOD, "t2i", ("--leg", "cuhk-pedes", "--profile")),
    (TEXT_METHOD, "t2i-cross", ()),
    (TEXT_METHOD, "textmask", ()),
)


@dataclass(frozen=True)
class PaperRuns:
    """The results root and the world the records were made on."""

    root: Path
    world: Path

    def record(self, method: str, protocol: str, leg: str) -> Path:
        """The record file of one run (``leg``: the leg with its settings slug, ``market1501+rerank``),
        found through the record reader."""
        from harness.results import read_records

        for f in read_records(self.root):
            if (f.key.method, f.key.protocol, f.key.leg_label) == (method, protocol, leg):
                return f.path
        raise LookupError(f"no record of {method} {protocol}/{leg} under {self.root}")


@pytest.fixture(scope="session")
def paper_runs(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> PaperRuns:
    from harness.cli.app import app

    root = tmp_path_factory.mktemp("paper-runs")
    cache = tmp_path_factory.mktemp("paper-runs-cache")
    runner = CliRunner()
    for method, protocol, extra in RUNS:
        args = ["run", "-p", protocol, "-m", method, "--data-root", str(tiny_world), "--out", str(root)]
        args += ["--device", "cpu", "--no-progress", "--cache-dir", str(cache), *extra]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, (args, result.output, result.exception)
    return PaperRuns(root=root, world=tiny_world)
