"""The built-in methods/ and protocols/ are found from a built wheel, not only from the checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_and_finds_builtin_definitions(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        check=True,
        capture_output=True,
    )
    wheel = next(tmp_path.glob("reid_harness-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "harness/_builtin/methods/hsv-hist/method.yaml" in names
    assert "harness/_builtin/protocols/single.yaml" in names
    assert any(n.startswith("harness/_builtin/results/reported/") and n.endswith(".csv") for n in names)
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    code = (
        "import harness, harness.resources as r; from harness.methods import METHODS; "
        "from harness.protocols import PROTOCOLS; from harness.reported import load_reported; "
        "assert len(load_reported()) > 500; "
        "print(harness.__file__); print(r.builtin_dir('methods')); print(METHODS.names(), PROTOCOLS.names())"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = result.stdout.splitlines()
    assert lines[0].startswith(str(target))
    assert lines[1] == str(target / "harness" / "_builtin" / "methods")
    assert "hsv-hist" in lines[2] and "single" in lines[2]


# -- a fresh install is the only install ------------------------------------------------------------

LOCAL = {"harness", "tests", "benchmarks", "__future__"}
SCANNED = ("harness", "tests", "benchmarks", "docs")
DYNAMIC_IMPORTS = {"importorskip", "import_module", "require"}  # calls whose first argument is a module


def _imports(path: Path) -> set[str]:
    """Top-level names of every module ``path`` imports, statically or through DYNAMIC_IMPORTS."""
    import ast

    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) in DYNAMIC_IMPORTS
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return {name.split(".")[0] for name in names}


def _declared(extra: str) -> set[str]:
    """Normalised distribution names of the dependencies plus ``extra`` (self-references expanded)."""
    import re
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    optional = project["optional-dependencies"]
    seen: set[str] = set()
    todo = [*project["dependencies"], f"{project['name']}[{extra}]"]
    declared: set[str] = set()
    while todo:
        requirement = todo.pop()
        match = re.match(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?", requirement)
        assert match, requirement
        name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
        if name == project["name"]:
            for item in (match.group(2) or "").split(","):
                if item.strip() and item.strip() not in seen:
                    seen.add(item.strip())
                    todo += optional[item.strip()]
        else:
            declared.add(name)
    return declared


def test_every_third_party_import_is_declared() -> None:
    """The package, tests, benchmarks and docs examples import only declared distributions (the
    test extra covers everything; the dependencies alone cover the package but its optional extras)."""
    import re
    from importlib.metadata import packages_distributions

    distributions = packages_distributions()
    examples = {p.stem for p in (REPO / "docs" / "examples").rglob("*.py")}
    declared = _declared("test")
    problems = []
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*.py")):
            siblings = {p.stem for p in path.parent.glob("*.py")}  # e.g. benchmarks importing each other
            for name in sorted(_imports(path) - LOCAL - examples - siblings - set(sys.stdlib_module_names)):
                owners = {re.sub(r"[-_.]+", "-", d).lower() for d in distributions.get(name, [])}
                if not owners & declared:
                    problems.append(f"{path.relative_to(REPO)} imports {name} ({owners or 'not installed'})")
    assert problems == [], "declare these in pyproject.toml (dependencies or the test extra):\n" + "\n".join(
        problems
    )


def test_optional_extras_are_named_when_missing() -> None:
    """pyarrow and scipy are optional: a missing one fails with the extra to install, never a traceback."""
    code = (
        "import sys; sys.modules['pyarrow'] = None; sys.modules['scipy'] = None\n"
        "from pathlib import Path\n"
        "from harness.errors import HarnessError\nfrom harness.extras import require\n"
        "from harness.data.matfile import load_mat\n"
        "attempts = (lambda: require('pyarrow', 'writing x.parquet'),\n"
        "            lambda: load_mat(Path('x.mat'), what='x'))\n"
        "for attempt in attempts:\n"
        "    try:\n        attempt()\n"
        "    except HarnessError as exc:\n        print(exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "writing x.parquet needs pyarrow, which is optional: pip install 'reid-harness[parquet]'"
    )
    assert "pip install 'reid-harness[mat]'" in lines[1] and len(lines) == 2
    optional = _declared("parquet") | _declared("mat")
    assert {"pyarrow", "scipy"} <= optional


def test_ci_builds_a_fresh_venv_and_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    command = readme.split("**2. Install the test extra")[1].split("\n\n")[1].strip()
    assert command == 'pip install -c constraints.txt -e ".[test]" && python -m pytest -q'
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert command in ci
    assert "-m venv" in ci and "system-site-packages\n" not in ci.replace("no --system-site-packages", "")
    assert ci.index("-m venv") < ci.index(command) and "/bin/activate" in ci
