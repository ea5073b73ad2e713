"""Reading, checking and strictly loading model checkpoints.

Conventions:

* Files are ``.pth`` / ``.pth.tar`` / ``.pt`` / ``.bin`` (``torch.save``, zip or legacy format) or
  ``.safetensors``. ``torch.load`` always runs with ``weights_only=True`` unless the caller passes
  ``trust=True`` (CLI ``--trust-checkpoint``); a file that needs a full pickle is refused with a
  message saying so. TorchScript archives (the OpenAI CLIP release format) are read only with
  ``trust=True``.
* Nested checkpoints are unwrapped through the keys ``state_dict``, ``model``, ``network`` (in that
  order, repeatedly) until a flat ``{name: Tensor}`` mapping is reached.
* Loading is strict: every key the architecture expects must be present with the right shape, and
  every checkpoint key must be used, except keys matched by an explicit per-method ``drop`` list of
  regular expressions (training-only heads). Anything else raises :class:`CheckpointError` naming
  the file and listing the offending keys; non-finite weights are an error too.
* The sha256 of the file is computed for the result record and, where a metafile gives one,
  compared: a mismatch is a :class:`CheckpointWarning`, or an error under ``strict``.
"""

from __future__ import annotations

import os
import pickle
import re
import warnings
import zipfile
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.errors import CheckpointError

if TYPE_CHECKING:
    import torch

NESTING_KEYS: tuple[str, ...] = ("state_dict", "model", "network")
"""Keys under which training code commonly stores the state dict, tried in this order."""

LIST_LIMIT = 10
"""How many keys an error message lists before summarising the rest as a count."""


class CheckpointWarning(UserWarning):
    """A checkpoint problem that does not stop a run unless strict checking is on."""


# -- hashing -------------------------------------------------------------------------------------
def sha256_file(path: str | os.PathLike[str], *, chunk_size: int = 1 << 20) -> str:
    """Return the lowercase hex sha256 of the file at ``path``."""
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint file {p} does not exist or is not a file")
    from harness.hashing import sha256_file as _hash

    return _hash(p, chunk_size)


def verify_sha256(path: str | os.PathLike[str], expected: str | None, *, strict: bool = False) -> str:
    """Hash ``path`` and compare with ``expected`` (if given); return the actual hash.

    A mismatch warns with :class:`CheckpointWarning`, or raises :class:`CheckpointError` when
    ``strict`` is true. The comparison ignores case and an optional ``sha256:`` prefix.
    """
    actual = sha256_file(path)
    if expected is None:
        return actual
    want = expected.strip().lower().removeprefix("sha256:")
    if want != actual:
        message = (
            f"checkpoint {Path(path)} has sha256 {actual}, but the method's metafile expects {want}; "
            "the file is not the published checkpoint (or the metafile is out of date)"
        )
        if strict:
            raise CheckpointError(message)
        warnings.warn(message, CheckpointWarning, stacklevel=2)
    return actual


# -- reading -------------------------------------------------------------------------------------
def _is_torchscript_archive(path: Path) -> bool:
    if not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
    return any(name.endswith("/constants.pkl") or "/code/" in name for name in names)


def _torch_load(path: Path, *, trust: bool) -> Any:
    import torch

    if _is_torchscript_archive(path):
        if not trust:
            raise CheckpointError(
                f"checkpoint {path} is a TorchScript archive; reading it deserialises code. "
                "If you trust its source, rerun with --trust-checkpoint (trust=True)"
            )
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", FutureWarning)
                return torch.jit.load(str(path), map_location="cpu").state_dict()
        except Exception as exc:
            raise CheckpointError(f"checkpoint {path} could not be read as TorchScript: {exc}") from exc
    try:
        return torch.load(path, map_location="cpu", weights_only=not trust)
    except pickle.UnpicklingError as exc:
        if not trust and "weights only" in str(exc).lower():
            raise CheckpointError(
                f"checkpoint {path} was refused: it contains pickled Python objects that are not plain "
                "tensors, and loading them could run arbitrary code. If you trust its source, rerun "
                "with --trust-checkpoint (trust=True)"
            ) from exc
        raise CheckpointError(f"checkpoint {path} is corrupt or not a PyTorch file: {exc}") from exc
    except (RuntimeError, EOFError, KeyError, ValueError, OSError, zipfile.BadZipFile) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CheckpointError(
            f"checkpoint {path} could not be read; it is truncated, corrupt or not a PyTorch file "
            f"({type(exc).__name__}: {detail[:200]})"
        ) from exc


def _safetensors_load(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    try:
        return load_file(str(path), device="cpu")
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(
            f"checkpoint {path} could not be read as safetensors; it is truncated or corrupt ({exc})"
        ) from exc


def unwrap_state_dict(obj: Any, *, source: str = "<checkpoint>") -> dict[str, torch.Tensor]:
    """Descend through :data:`NESTING_KEYS` until a flat ``{name: Tensor}`` mapping is found."""
    import torch

    path_taken: list[str] = []
    while True:
        if not isinstance(obj, Mapping):
            raise CheckpointError(
                f"checkpoint {source} holds a {type(obj).__name__}"
                + (f" under {'/'.join(path_taken)}" if path_taken else "")
                + ", not a state dict (a mapping of parameter names to tensors)"
            )
        if obj and all(isinstance(v, torch.Tensor) for v in obj.values()):
            return OrderedDict((str(k), v) for k, v in obj.items())
        nested = next((k for k in NESTING_KEYS if isinstance(obj.get(k), Mapping)), None)
        if nested is None:
            others = sorted(str(k) for k, v in obj.items() if not isinstance(v, torch.Tensor))
            raise CheckpointError(
                f"checkpoint {source} is not a flat state dict and has none of the nesting keys "
                f"{', '.join(NESTING_KEYS)}"
                + (f" under {'/'.join(path_taken)}" if path_taken else "")
                + f"; non-tensor entries: {_summarise(others)}"
            )
        path_taken.append(nested)
        obj = obj[nested]


def read_checkpoint(path: str | os.PathLike[str], *, trust: bool = False) -> dict[str, torch.Tensor]:
    """Read a checkpoint file and return its (unwrapped) state dict, on CPU.

    ``.safetensors`` files are read with safetensors; anything else with ``torch.load`` under
    ``weights_only=not trust``. Raises :class:`CheckpointError` naming the file for a missing,
    unsafe, truncated or corrupt file.
    """
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(f"checkpoint file {p} does not exist or is not a file")
    if p.stat().st_size == 0:
        raise CheckpointError(f"checkpoint {p} is empty (0 bytes); the download or copy did not finish")
    raw = _safetensors_load(p) if p.name.endswith(".safetensors") else _torch_load(p, trust=trust)
    return unwrap_state_dict(raw, source=str(p))


def read_checkpoint_shapes(
    path: str | os.PathLike[str], *, trust: bool = False
) -> dict[str, tuple[int, ...]]:
    """``{key: shape}`` of a checkpoint's (unwrapped) state dict, reading as little data as the
    format allows: the safetensors header, or a memory-mapped ``torch.load`` of a zip checkpoint.
    Other files are read in full through :func:`read_checkpoint`. Errors as in ``read_checkpoint``."""
    p = Path(path)
    if p.is_file() and p.stat().st_size > 0 and p.name.endswith(".safetensors"):
        from safetensors import SafetensorError, safe_open

        try:
            with safe_open(str(p), framework="pt") as handle:
                return {k: tuple(handle.get_slice(k).get_shape()) for k in handle.keys()}  # noqa: SIM118
        except (SafetensorError, OSError, ValueError) as exc:
            raise CheckpointError(
                f"checkpoint {p} could not be read as safetensors; it is truncated or corrupt ({exc})"
            ) from exc
    if p.is_file() and zipfile.is_zipfile(p) and not _is_torchscript_archive(p):
        import torch

        try:
            raw = torch.load(p, map_location="cpu", weights_only=not trust, mmap=True)
        except Exception:  # anything unusual: the full reader gives the precise error
            raw = None
        if raw is not None:
            return {k: tuple(v.shape) for k, v in unwrap_state_dict(raw, source=str(p)).items()}
    return {k: tuple(v.shape) for k, v in read_checkpoint(p, trust=trust).items()}


def write_state_dict(path: str | os.PathLike[str], state_dict: Mapping[str, torch.Tensor]) -> Path:
    """Write ``state_dict`` atomically (:mod:`harness.atomic`); safetensors by file suffix."""
    import torch

    from harness.atomic import write_atomic

    p = Path(path)
    tensors = {k: v.detach().contiguous().cpu() for k, v in state_dict.items()}
    if p.name.endswith(".safetensors"):
        from safetensors.torch import save_file

        return write_atomic(p, lambda tmp: save_file(tensors, str(tmp)))
    return write_atomic(p, lambda tmp: torch.save(OrderedDict(tensors), tmp))


# -- key handling --------------------------------------------------------------------------------
def strip_prefixes(
    state_dict: Mapping[str, torch.Tensor], prefixes: Iterable[str]
) -> dict[str, torch.Tensor]:
    """Remove any of ``prefixes`` from the start of each key, repeatedly (``module.base.x`` -> ``x``).

    Raises :class:`CheckpointError` if two keys become the same name.
    """
    ordered = sorted({p for p in prefixes if p}, key=len, reverse=True)
    out: dict[str, torch.Tensor] = OrderedDict()
    origin: dict[str, str] = {}
    for key, value in state_dict.items():
        new = key
        changed = True
        while changed:
            changed = False
            for prefix in ordered:
                if new.startswith(prefix) and len(new) > len(prefix):
                    new = new[len(prefix) :]
                    changed = True
                    break
        if new in out:
            raise CheckpointError(
                f"stripping prefixes {ordered} maps both {origin[new]!r} and {key!r} to {new!r}"
            )
        out[new] = value
        origin[new] = key
    return out


def _summarise(items: list[str], limit: int = LIST_LIMIT) -> str:
    if not items:
        return "(none)"
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown}, ... and {len(items) - limit} more"


def _compile(patterns: Iterable[str]) -> list[re.Pattern[str]]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern))
        except re.error as exc:
            raise CheckpointError(
                f"drop pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from exc
    return compiled


@dataclass
class LoadReport:
    """What happened when a state dict was loaded; stored in the result record."""

    source: str
    loaded: int = 0
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    shape_mismatches: list[str] = field(default_factory=list)
    non_finite: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.shape_mismatches or self.non_finite)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "loaded": self.loaded,
            "missing_keys": list(self.missing),
            "unexpected_keys": list(self.unexpected),
            "dropped_keys": list(self.dropped),
            "shape_mismatches": list(self.shape_mismatches),
            "non_finite_keys": list(self.non_finite),
        }

    as_dict = to_dict

    def error_message(self, target: str) -> str:
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing key(s): {_summarise(self.missing)}")
        if self.unexpected:
            parts.append(
                f"{len(self.unexpected)} unexpected key(s): {_summarise(self.unexpected)} "
                "(if these are training-only heads, add them to the method's drop_keys)"
            )
        if self.shape_mismatches:
            parts.append(
                f"{len(self.shape_mismatches)} shape mismatch(es): {_summarise(self.shape_mismatches)}"
            )
        if self.non_finite:
            parts.append(f"{len(self.non_finite)} tensor(s) with NaN/Inf: {_summarise(self.non_finite)}")
        return f"checkpoint {self.source} does not fit {target}: " + "; ".join(parts)


def check_state_dict(
    module: torch.nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    *,
    drop: Iterable[str] = (),
    source: str | os.PathLike[str] = "<state dict>",
) -> tuple[LoadReport, dict[str, torch.Tensor]]:
    """Compare ``state_dict`` with ``module``'s; return the report and the keys to load."""
    import torch

    patterns = _compile(drop)
    expected = module.state_dict()
    report = LoadReport(source=str(source))
    kept: dict[str, torch.Tensor] = OrderedDict()
    for key, value in state_dict.items():
        if key in expected:
            kept[key] = value
        elif any(p.match(key) for p in patterns):
            report.dropped.append(key)
        else:
            report.unexpected.append(key)
    report.missing = [k for k in expected if k not in kept]
    for key, value in kept.items():
        want = expected[key]
        if tuple(value.shape) != tuple(want.shape):
            report.shape_mismatches.append(
                f"{key}: checkpoint {tuple(value.shape)} vs model {tuple(want.shape)}"
            )
        elif value.is_floating_point() and not bool(torch.isfinite(value).all()):
            report.non_finite.append(key)
    report.loaded = len(kept) - len(report.shape_mismatches)
    return report, kept


def load_state_dict_strict(
    module: torch.nn.Module,
    state_dict: Mapping[str, torch.Tensor],
    *,
    drop: Iterable[str] = (),
    source: str | os.PathLike[str] = "<state dict>",
) -> LoadReport:
    """Load ``state_dict`` into ``module`` strictly; keys matching ``drop`` regexes are skipped.

    ``drop`` patterns are matched with :func:`re.match` (from the start of the key, after prefix
    stripping). Raises :class:`CheckpointError` naming ``source`` if any key is missing, unexpected
    and not dropped, of the wrong shape, or holds NaN/Inf. Returns the :class:`LoadReport`.
    """
    report, kept = check_state_dict(module, state_dict, drop=drop, source=source)
    if not report.ok:
        raise CheckpointError(report.error_message(type(module).__name__))
    module.load_state_dict(kept, strict=True)
    return report
