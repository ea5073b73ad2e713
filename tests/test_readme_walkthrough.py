"""The README's "First day" walkthrough, executed command by command from the README itself."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def walkthrough() -> list[list[str]]:
    """The commands of the README's "First day" code block (comments dropped), as argument lists."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## First day\n", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [shlex.split(line, comments=True) for line in block.splitlines() if line.strip()]


def test_walkthrough_covers_a_first_day() -> None:
    commands = walkthrough()
    assert all(c[0] == "harness" for c in commands)
    steps = [c[1] for c in commands]
    for step in ("data", "run", "report", "plot", "leaderboard", "check"):
        assert step in steps, f"the walkthrough lost its `harness {step}` step"


@pytest.mark.slow
def test_readme_walkthrough_runs(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "HARNESS_CACHE": str(tmp_path / "cache"),
        "OMP_NUM_THREADS": "1",
        "COLUMNS": "80",
    }
    env.pop("HARNESS_DATA", None)
    outputs = []
    for command in walkthrough():
        result = subprocess.run(
            [sys.executable, "-m", "harness", *command[1:]],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert result.returncode == 0, f"{shlex.join(command)} failed:\n{result.stdout}\n{result.stderr}"
        outputs.append(result.stdout + result.stderr)
    assert (tmp_path / "world" / "harness-synthetic.json").is_file()
    records = sorted((tmp_path / "results" / "hsv-hist" / "single").glob("*.json"))
    assert [p.stem for p in records] == ["cuhk03-labeled", "market1501", "msmt17"]
    assert (tmp_path / "reports" / "cmc.png").is_file() and (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "my-expected.yaml").is_file()
    assert any("hsv-hist" in text and "†" in text for text in outputs)  # measured rows beside the paper's
    assert not (
        set(os.listdir(tmp_path)) - {"world", "results", "reports", "site", "my-expected.yaml", "cache"}
    )
