from __future__ import annotations

import sys

import pytest

from harness.errors import RegistryError
from harness.registry import Registry, resolve_reference


def test_lazy_entry_is_imported_only_on_get() -> None:
    registry: Registry[object] = Registry("thing")
    registry.register("dump", "json:dumps")
    assert "dump" in registry
    assert registry.get("dump") is __import__("json").dumps


def test_aliases_and_name_normalisation() -> None:
    registry: Registry[int] = Registry("thing")
    registry.register("market1501", 1, aliases=("market",))
    assert registry.get("Market") == 1
    assert registry.canonical("market") == "market1501"
    assert registry.aliases_of("market1501") == ["market"]
    registry.register("cuhk_03", 2)
    assert registry.get("cuhk-03") == 2


def test_unknown_name_suggests_and_lists_choices() -> None:
    registry: Registry[int] = Registry("protocol")
    for name in ("single", "p2", "p3"):
        registry.register(name, 0)
    with pytest.raises(RegistryError) as info:
        registry.get("singel")
    message = str(info.value)
    assert "unknown protocol 'singel'" in message
    assert "Did you mean 'single'?" in message
    assert "Available: p2, p3, single" in message


def test_collisions_are_errors() -> None:
    registry: Registry[int] = Registry("method")
    registry.register("a", 1, aliases=("x",))
    registry.register("a", 1)  # the identical target again is fine
    with pytest.raises(RegistryError, match="registered twice"):
        registry.register("a", 2)
    with pytest.raises(RegistryError, match="collides"):
        registry.register("x", 3)
    with pytest.raises(RegistryError, match="collides"):
        registry.register("b", 4, aliases=("a",))


def test_loaders_run_once_on_first_use() -> None:
    calls = []
    registry: Registry[int] = Registry("thing")
    registry.add_loader(lambda r: (calls.append(1), r.register("late", 7)))
    assert calls == []
    assert registry.get("late") == 7
    assert registry.names() == ["late"]
    assert calls == [1]


def test_bad_lazy_reference() -> None:
    with pytest.raises(RegistryError, match="not of the form"):
        resolve_reference("json.dumps")
    with pytest.raises(RegistryError, match="has no attribute"):
        resolve_reference("json:nope")


def test_importing_harness_does_not_import_torch() -> None:
    import subprocess

    code = (
        "import harness, harness.registry, harness.protocols, harness.methods, harness.metrics, sys; "
        "print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_public_api_is_reexported_lazily() -> None:
    import harness
    from harness.methods.load import load_method

    assert harness.load_method is load_method
    assert callable(harness.run_protocol) and callable(harness.load_results)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        harness.nope  # noqa: B018
