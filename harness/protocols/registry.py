"""The protocol registry: every ``*.yaml`` in the built-in ``protocols/`` folder and in the folders
listed in ``$HARNESS_PROTOCOL_PATH`` (``os.pathsep``-separated), keyed by the file's ``name``."""

from __future__ import annotations

import os
from pathlib import Path

from harness.errors import ProtocolError
from harness.protocols.spec import ProtocolSpec, load_protocol_file
from harness.registry import Registry, claim_names
from harness.resources import builtin_dir

PROTOCOL_PATH_ENV = "HARNESS_PROTOCOL_PATH"

PROTOCOLS: Registry[ProtocolSpec] = Registry("protocol")


def protocol_dirs() -> list[Path]:
    dirs = [builtin_dir("protocols")]
    extra = os.environ.get(PROTOCOL_PATH_ENV, "")
    dirs += [Path(p) for p in extra.split(os.pathsep) if p]
    return dirs


def _scan(registry: Registry[ProtocolSpec]) -> None:
    sources: dict[str, Path] = {}  # normalised name or alias -> the file that defined it
    for directory in protocol_dirs():
        if not directory.is_dir():
            raise ProtocolError(f"${PROTOCOL_PATH_ENV} names {directory}, which is not a directory")
        for path in sorted(directory.glob("*.yaml")):
            spec = load_protocol_file(path)
            if path.stem != spec.name:
                raise ProtocolError(f"{path}: file name must match the protocol name {spec.name!r}")
            claim_names(sources, path, spec.name, spec.aliases, kind="protocol", error=ProtocolError)
            registry.register(spec.name, spec, aliases=spec.aliases)


PROTOCOLS.add_loader(_scan)


def get_protocol(name: str) -> ProtocolSpec:
    """The protocol called ``name`` or one of its aliases."""
    return PROTOCOLS.get(name)
