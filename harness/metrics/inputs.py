"""Validation of evaluator inputs: shapes, labels, option values. Bad input raises MetricError."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from harness.errors import MetricError
from harness.metrics.result import AP_KINDS, DENOMINATORS, JUNK_RULES


def to_numpy(x: Any, name: str) -> np.ndarray:
    """``x`` (numpy array, torch tensor or sequence) as a numpy array, without copying when possible."""
    if hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except Exception as exc:  # pragma: no cover - defensive
        raise MetricError(f"{name}: could not be read as an array ({exc})") from exc


def as_labels(x: Any, name: str, length: int | None = None) -> np.ndarray:
    arr = to_numpy(x, name)
    if arr.ndim != 1:
        raise MetricError(f"{name}: expected a 1-D array of labels, got shape {arr.shape}")
    if length is not None and len(arr) != length:
        raise MetricError(f"{name}: expected {length} labels (one per row/column), got {len(arr)}")
    return arr


@dataclass(frozen=True)
class Labels:
    """Query and gallery labels as small integer codes (pids shared between query and gallery)."""

    q_pids: np.ndarray
    g_pids: np.ndarray
    q_camids: np.ndarray | None
    g_camids: np.ndarray | None


def check_labels(
    n_query: int,
    n_gallery: int,
    q_pids: Any,
    g_pids: Any,
    q_camids: Any,
    g_camids: Any,
    junk: str,
) -> Labels:
    """Validate label arrays and encode them as int64 codes; camids are dropped for ``junk='none'``."""
    if junk not in JUNK_RULES:
        raise MetricError(f"junk: expected one of {list(JUNK_RULES)}, got {junk!r}")
    qp = as_labels(q_pids, "q_pids", n_query)
    gp = as_labels(g_pids, "g_pids", n_gallery)
    try:
        _, inv = np.unique(np.concatenate([qp, gp]), return_inverse=True)
    except TypeError as exc:
        raise MetricError(f"q_pids/g_pids: labels must be comparable values of one type ({exc})") from exc
    inv = inv.reshape(-1).astype(np.int64)
    qc = gc = None
    if junk == "same-camera":
        if q_camids is None or g_camids is None:
            raise MetricError(
                "q_camids/g_camids: junk='same-camera' needs camera ids for queries and gallery; "
                "pass them, or use junk='none' (text-to-image, no camera filtering)"
            )
        qca = as_labels(q_camids, "q_camids", n_query)
        gca = as_labels(g_camids, "g_camids", n_gallery)
        _, cinv = np.unique(np.concatenate([qca, gca]), return_inverse=True)
        cinv = cinv.reshape(-1).astype(np.int64)
        qc, gc = cinv[:n_query], cinv[n_query:]
    return Labels(q_pids=inv[:n_query], g_pids=inv[n_query:], q_camids=qc, g_camids=gc)


def check_options(*, max_rank: int, ap: str, denominator: str) -> None:
    if isinstance(max_rank, bool) or not isinstance(max_rank, int | np.integer) or max_rank < 1:
        raise MetricError(f"max_rank: expected a positive integer, got {max_rank!r}")
    if ap not in AP_KINDS:
        raise MetricError(f"ap: expected one of {list(AP_KINDS)}, got {ap!r}")
    if denominator not in DENOMINATORS:
        raise MetricError(f"denominator: expected one of {list(DENOMINATORS)}, got {denominator!r}")


def check_distmat(distmat: Any) -> np.ndarray | Any:
    """Check a query x gallery distance matrix (numpy or torch); returns it (as an array if it was
    a nested sequence)."""
    if not hasattr(distmat, "shape"):
        distmat = np.asarray(distmat, dtype=np.float64)
    shape = tuple(distmat.shape)
    if len(shape) != 2:
        raise MetricError(f"distmat: expected a 2-D query x gallery matrix, got shape {shape}")
    if shape[0] == 0 or shape[1] == 0:
        raise MetricError(f"distmat: the query x gallery matrix is empty (shape {shape})")
    return distmat


def no_valid_query_message(labels: Labels, junk: str) -> str:
    """Explain why no query has a positive left (used when every query would be skipped)."""
    gset = set(labels.g_pids.tolist())
    has_pid = np.array([p in gset for p in labels.q_pids.tolist()])
    if not has_pid.any():
        return (
            "no query is valid: no query's pid occurs in the gallery "
            "(check that query and gallery come from the same id space)"
        )
    if junk == "same-camera":
        return (
            "no query is valid: every query's gallery matches share its camera, so the same-camera junk "
            "rule removes them all (use junk='none' where cameras do not apply, e.g. text-to-image)"
        )
    return "no query is valid: no query has a positive in the gallery"  # pragma: no cover


def feature_matrix(x: Any, name: str) -> np.ndarray | Any:
    """Check an (items x dim) feature matrix; returns it (as an array if it was a nested sequence)."""
    if not hasattr(x, "shape"):
        x = np.asarray(x, dtype=np.float64)
    shape = tuple(x.shape)
    if len(shape) != 2:
        raise MetricError(f"{name}: expected a 2-D (items x dim) feature matrix, got shape {shape}")
    if shape[0] == 0:
        raise MetricError(f"{name}: no features (shape {shape})")
    return x


def params_from_arg(cls: type, arg: Any, option: str) -> Any:
    """An option's parameters: an instance of dataclass ``cls``, ``True`` (the defaults) or a dict
    of ``cls``'s fields; anything else, or an unknown key, raises MetricError naming ``option``."""
    from dataclasses import fields

    names = [f.name for f in fields(cls)]
    if isinstance(arg, cls):
        return arg
    if arg is True:
        return cls()
    if isinstance(arg, dict):
        unknown = set(arg) - set(names)
        if unknown:
            raise MetricError(f"{option}: unknown keys {sorted(unknown)}; expected {', '.join(names)}")
        return cls(**arg)
    raise MetricError(f"{option}: expected True, a dict of {'/'.join(names)} or {cls.__name__}, got {arg!r}")
