"""``harness.safepaths``: names refused or slugged, writers kept inside their folder."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from harness.errors import UnsafePathError
from harness.safepaths import display, inside, refuse_overlap, safe_component, slug

BAD = [
    "",
    ".",
    "..",
    "../../x",
    "/etc/passwd",
    "a/b",
    "a\\b",
    ".hidden",
    "nul\x00",
    "tab\t",
    " pad",
    "x" * 201,
    "CON",
    "lpt1.txt",
    "bad\udcff",
]


@pytest.mark.parametrize("name", BAD)
def test_unsafe_components_are_refused_naming_the_field(name: str) -> None:
    with pytest.raises(UnsafePathError, match="protocol name"):
        safe_component(name, what="protocol name")


@pytest.mark.parametrize("name", ["p2", "market1501", "cmdg[vit-b]", "CUHK03-NP", "é-ü", "a.b"])
def test_plain_names_pass_unchanged(name: str) -> None:
    assert safe_component(name, what="x") == name
    assert slug(name) in (name, slug(name))


@pytest.mark.parametrize("name", [*BAD, 'p"><img src=x onerror=alert(1)>'])
def test_slug_is_always_a_safe_component_and_distinct(name: str) -> None:
    made = slug(name)
    assert safe_component(made, what="slug") == made
    assert slug(name + "y") != made


def test_inside_refuses_symlinks_out_of_the_root(tmp_path: Path) -> None:
    root = tmp_path / "root"
    (root / "sub").mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (root / "link").symlink_to(outside)
    assert inside(root, root / "sub" / "f") == (root / "sub" / "f").resolve()
    with pytest.raises(UnsafePathError, match="leads outside"):
        inside(root, root / "link" / "f")
    with pytest.raises(UnsafePathError, match="leads outside"):
        inside(root, root / ".." / "x")


def test_refuse_overlap(tmp_path: Path) -> None:
    refuse_overlap(tmp_path / "out", [tmp_path / "in"])
    for out in (tmp_path / "in", tmp_path, tmp_path / "in" / "sub"):
        with pytest.raises(UnsafePathError, match="overlaps the input"):
            refuse_overlap(out, [tmp_path / "in"])


def test_display_shows_undecodable_bytes() -> None:
    name = os.fsdecode(b"caf\xe9.jpg")
    assert display(name) == "caf\\xe9.jpg"
    assert display("plain.jpg") == "plain.jpg"
