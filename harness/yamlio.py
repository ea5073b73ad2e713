"""The one YAML loader of the harness: every YAML file it reads (protocol files, method cards,
expected-numbers files, paper metadata) goes through :func:`load_yaml`.

Limits, each refused with one line naming the file and what was expected:

* size: at most :data:`MAX_BYTES` bytes (a protocol or card is a few KiB);
* expansion: anchors and aliases are allowed, but the document *as expanded* (every alias counted
  as a copy of what it points to, the way a consumer that walks it would see it) may hold at most
  :data:`MAX_NODES` nodes; a "billion laughs" file is refused in milliseconds, before it is built;
* no cycles (``&a [*a]``) and at most :data:`MAX_DEPTH` levels of nesting;
* UTF-8 text, the safe schema only (no Python tags), one document per file.
"""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import yaml

from harness.errors import ConfigError, HarnessError

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 100

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlLimitError(ValueError):
    """The document breaks one of the loader's limits (turned into the caller's error type)."""


def _expanded_size(root: yaml.Node) -> int:
    """Nodes in the document with every alias expanded; raises YamlLimitError past the limits."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def visit(node: yaml.Node, depth: int) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise YamlLimitError("an alias refers to a node that contains it (a cycle)")
        if depth > MAX_DEPTH:
            raise YamlLimitError(f"it is nested more than {MAX_DEPTH} levels deep")
        active.add(key)
        total = 1
        if isinstance(node, yaml.SequenceNode):
            for child in node.value:
                total += visit(child, depth + 1)
                if total > MAX_NODES:
                    break
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += visit(k, depth + 1) + visit(v, depth + 1)
                if total > MAX_NODES:
                    break
        active.discard(key)
        if total > MAX_NODES:
            raise YamlLimitError(
                f"anchors and aliases expand it to more than {MAX_NODES:,} nodes (a YAML bomb?)"
            )
        sizes[key] = total
        return total

    return visit(root, 0)


def parse_yaml(text: str, *, source: str = "<string>") -> Any:
    """Parse one YAML document from ``text`` under the limits; raises ValueError naming ``source``."""
    if len(text.encode("utf-8", "surrogatepass")) > MAX_BYTES:
        raise YamlLimitError(f"it is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    loader = _Loader(text)
    try:
        try:
            node = loader.get_single_node()
        except RecursionError as exc:
            raise YamlLimitError(f"it is nested more than {MAX_DEPTH} levels deep") from exc
        if node is None:
            return None
        _expanded_size(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()


def load_yaml(path: Path | str, *, what: str, error: type[HarnessError] = ConfigError) -> Any:
    """Read one YAML file under the limits; any problem raises ``error`` naming ``path`` and ``what``.

    ``what`` says what the file is, e.g. ``"method card"``: ``<path>: cannot read method card (...)``.
    """
    path = Path(path)
    try:
        if not stat.S_ISREG(path.stat().st_mode):  # a FIFO would block, a device never end
            raise error(f"{path}: cannot read {what}: not a regular file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from exc
    if len(data) > MAX_BYTES:
        raise error(f"{path}: cannot read {what}: larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{path}: cannot read {what}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    try:
        return parse_yaml(text, source=str(path))
    except YamlLimitError as exc:
        raise error(f"{path}: cannot read {what}: refused because {exc}") from exc
    except yaml.YAMLError as exc:
        raise error(f"{path}: cannot read {what}: not valid YAML ({_one_line(exc)})") from exc
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a timestamp out of range
        raise error(f"{path}: cannot read {what}: a value YAML cannot represent ({exc})") from exc


def _one_line(exc: yaml.YAMLError) -> str:
    return " ".join(str(exc).split())
