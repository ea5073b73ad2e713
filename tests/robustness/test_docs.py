"""``docs/failure-modes.md``: every test it names exists (a row without a test is not a row)."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "failure-modes.md"
REFERENCE = re.compile(r"`(tests/[\w/]+\.py)(?:::(\w+))?`")


def test_every_row_names_tests_that_exist() -> None:
    rows = [
        line for line in DOC.read_text().splitlines() if line.startswith("| ") and not line.startswith("| -")
    ]
    body = [row for row in rows if not set(row) <= set("|- ") and "---" not in row]
    missing = []
    for row in body:
        if row.split("|")[1].strip() in ("failure", "risk"):
            continue  # a table's header
        references = REFERENCE.findall(row)
        assert references, f"row names no test: {row[:80]}"
        for path, name in references:
            source = REPO / path
            if not source.is_file() or (name and not re.search(rf"^def {name}\(", source.read_text(), re.M)):
                missing.append(f"{path}::{name}")
    assert not missing, f"docs/failure-modes.md names tests that do not exist: {missing}"
    assert len(body) > 30
