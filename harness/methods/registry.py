"""The method registry: ``methods/<name>/method.yaml`` cards from the built-in folder, from
``$HARNESS_METHOD_PATH`` folders, and from installed packages' ``reid_harness.methods`` entry points.

An entry point's object is a folder (``str``/``Path``) holding ``<name>/method.yaml`` cards, or a
callable returning such a folder, so a third-party package registers methods without editing this
repository::

    [project.entry-points."reid_harness.methods"]
    my-methods = "my_package.reid:methods_dir"
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points
from pathlib import Path

from harness.errors import ConfigError, RegistryError
from harness.methods.card import MethodCard, load_card
from harness.registry import Registry, claim_names
from harness.resources import builtin_dir

METHOD_PATH_ENV = "HARNESS_METHOD_PATH"
ENTRY_POINT_GROUP = "reid_harness.methods"

METHODS: Registry[MethodCard] = Registry("method")


def _cards_in(directory: Path) -> list[MethodCard]:
    if not directory.is_dir():
        raise ConfigError(f"method folder {directory} does not exist")
    return [load_card(p) for p in sorted(directory.glob("*/method.yaml"))]


def _entry_point_dirs() -> list[Path]:
    dirs = []
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            obj = ep.load()
            target = obj() if callable(obj) else obj
        except Exception as exc:  # a broken plug-in names itself, never breaks silently
            raise RegistryError(f"method entry point {ep.name!r} ({ep.value}) failed to load: {exc}") from exc
        dirs.append(Path(target))
    return dirs


def method_dirs() -> list[Path]:
    dirs = [builtin_dir("methods")]
    dirs += [Path(p) for p in os.environ.get(METHOD_PATH_ENV, "").split(os.pathsep) if p]
    return dirs + _entry_point_dirs()


def _scan(registry: Registry[MethodCard]) -> None:
    sources: dict[str, Path] = {}  # normalised name or alias -> the card that defined it
    for directory in method_dirs():
        for card in _cards_in(directory):
            folder = Path(card.source_dir or "").name
            if folder != card.name:
                raise ConfigError(f"{card.source_dir}/method.yaml: folder name must equal name {card.name!r}")
            path = Path(card.source_dir or ".") / "method.yaml"
            claim_names(sources, path, card.name, card.aliases, kind="method", error=ConfigError)
            registry.register(card.name, card, aliases=card.aliases)


METHODS.add_loader(_scan)


def get_card(name: str) -> MethodCard:
    """The card of method ``name`` (or an alias)."""
    return METHODS.get(name)
