"""A small generic registry with lazy entries, aliases and "did you mean" errors.

Modelled on lm-evaluation-harness's ``Registry``: an entry is either an object or a lazy
``"package.module:attribute"`` string that is imported on first :meth:`Registry.get`, so importing
:mod:`harness` never imports torch models. Registering the same name twice is an error unless the
second registration is the identical target.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Generic, TypeVar

from harness.errors import HarnessError, RegistryError

T = TypeVar("T")


def resolve_reference(reference: str) -> object:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module_name, sep, attribute = reference.partition(":")
    if not sep or not module_name or not attribute:
        raise RegistryError(f"lazy reference {reference!r} is not of the form 'package.module:attribute'")
    module = importlib.import_module(module_name)
    try:
        obj: object = module
        for part in attribute.split("."):
            obj = getattr(obj, part)
    except AttributeError as exc:
        raise RegistryError(f"module {module_name!r} has no attribute {attribute!r}") from exc
    return obj


def suggest(name: str, choices: list[str]) -> str:
    """Return " Did you mean 'x'?" for the closest choice, or an empty string."""
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    if not close:
        return ""
    return " Did you mean " + " or ".join(repr(c) for c in close) + "?"


def claim_names(
    sources: dict[str, Path],
    path: Path,
    name: str,
    aliases: Iterable[str],
    *,
    kind: str,
    error: type[RegistryError] | type[HarnessError] = RegistryError,
) -> None:
    """Record that ``path`` defines ``name`` and ``aliases`` (normalised as registries do); a name
    or alias another file already defined raises ``error``, one line naming both files."""
    for label, value in (("name", name), *(("alias", a) for a in aliases)):
        key = Registry._normalise(value)
        other = sources.get(key)
        if other is not None and Path(other).resolve() != Path(path).resolve():
            raise error(
                f"{path}: {kind} {label} {value!r} is already defined by {other}; "
                f"rename one of them (a {kind} name or alias may be defined once)"
            )
        sources.setdefault(key, path)


class Registry(Generic[T]):
    """Name -> object mapping for one kind of thing (``kind`` is used in messages)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, T | str] = {}
        self._display: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        self._loaders: list[Callable[[Registry[T]], None]] = []
        self._loaded = False

    # -- registration ---------------------------------------------------------------------------
    def register(self, name: str, target: T | str, *, aliases: tuple[str, ...] | list[str] = ()) -> None:
        """Add ``name`` (and its aliases) for ``target``, an object or a lazy ``"module:attr"``."""
        key = self._normalise(name)
        if key in self._aliases:
            raise RegistryError(f"{self.kind} {name!r} collides with an alias of {self._aliases[key]!r}")
        existing = self._entries.get(key)
        if existing is not None and existing is not target and existing != target:
            raise RegistryError(
                f"{self.kind} {name!r} is registered twice ({self._describe(existing)} and "
                f"{self._describe(target)}); rename one of them"
            )
        self._entries[key] = target
        self._display[key] = name.strip()
        for alias in aliases:
            akey = self._normalise(alias)
            if akey == key:
                continue  # differs from the name only in case or separators
            if akey in self._entries or (akey in self._aliases and self._aliases[akey] != key):
                owner = self._aliases.get(akey, akey)
                raise RegistryError(f"alias {alias!r} of {self.kind} {name!r} collides with {owner!r}")
            self._aliases[akey] = key

    def unregister(self, name: str) -> None:
        """Remove ``name`` and its aliases (an entry registered for one call, e.g. ``harness.evaluate``)."""
        key = self._normalise(self.canonical(name))
        del self._entries[key], self._display[key]
        self._aliases = {alias: target for alias, target in self._aliases.items() if target != key}

    def add_loader(self, loader: Callable[[Registry[T]], None]) -> None:
        """Add a callable that fills the registry on first use (directory scans, entry points)."""
        self._loaders.append(loader)
        self._loaded = False

    # -- lookup ---------------------------------------------------------------------------------
    def canonical(self, name: str) -> str:
        """Return the registered name for ``name`` or an alias of it; raise with suggestions."""
        self._ensure_loaded()
        key = self._normalise(name)
        key = self._aliases.get(key, key)
        if key not in self._entries:
            choices = self.names()
            keys = sorted(self._entries)
            close = difflib.get_close_matches(key, keys + list(self._aliases), n=6, cutoff=0.5)
            canonical = list(dict.fromkeys(self._display[self._aliases.get(c, c)] for c in close))[:3]
            hint = (" Did you mean " + " or ".join(repr(c) for c in canonical) + "?") if canonical else ""
            raise RegistryError(
                f"unknown {self.kind} {name!r}.{hint} Available: {', '.join(choices) or '(none)'}"
            )
        return self._display[key]

    def get(self, name: str) -> T:
        """Return the object for ``name``, importing it if the entry is lazy."""
        key = self._normalise(self.canonical(name))
        target = self._entries[key]
        if isinstance(target, str):
            target = resolve_reference(target)  # type: ignore[assignment]
            self._entries[key] = target
        return target  # type: ignore[return-value]

    def names(self) -> list[str]:
        """Registered names as spelled at registration, sorted case-insensitively."""
        self._ensure_loaded()
        return sorted(self._display.values(), key=str.lower)

    def aliases_of(self, name: str) -> list[str]:
        key = self._normalise(self.canonical(name))
        return sorted(a for a, k in self._aliases.items() if k == key)

    def __contains__(self, name: object) -> bool:
        if not isinstance(name, str):
            return False
        self._ensure_loaded()
        key = self._normalise(name)
        return key in self._entries or key in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    # -- internals ------------------------------------------------------------------------------
    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        for loader in self._loaders:
            loader(self)

    @staticmethod
    def _normalise(name: str) -> str:
        return name.strip().lower().replace("_", "-")

    @staticmethod
    def _describe(target: object) -> str:
        if isinstance(target, str):
            return target
        source = getattr(target, "source_dir", None) or getattr(target, "source", None)
        if source:
            return str(source)
        name = getattr(target, "__qualname__", type(target).__name__)
        text = f"{getattr(target, '__module__', '?')}:{name}"
        return text if len(text) <= 100 else text[:97] + "..."
