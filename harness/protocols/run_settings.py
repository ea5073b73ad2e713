"""Evaluation settings chosen at run time (``harness run --rerank``, ``--aqe``), on top of a protocol.

``--rerank`` alone means k-reciprocal re-ranking with the published defaults (k1=20, k2=6,
lambda=0.3); ``--rerank k1=20,k2=6,lambda=0.3`` sets them. ``--aqe`` alone means fast-reid's
average query expansion defaults (qe_times=1, qe_k=5, alpha=3.0); ``--aqe qe_k=10`` sets them. The
chosen parameters are validated by the metrics code and written to the record (its evaluation
block and ``conventions``), so a re-ranked result is never mistaken for a plain one.
"""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from harness.errors import ConfigError, MetricError

DEFAULT = "default"
"""The value ``--rerank`` / ``--aqe`` take when given without parameters."""

_ALIASES = {"lambda": "lambda_value", "lam": "lambda_value"}


def parse_params(text: str | None, option: str) -> dict[str, Any] | None:
    """``None`` (option not given), ``{}`` (defaults) or the ``key=value`` pairs of ``text``.

    Keys are the fields of the option's parameter class (``k1``, ``k2``, ``lambda`` for
    ``--rerank``; ``qe_times``, ``qe_k``, ``alpha`` for ``--aqe``); values are converted to the
    field's type and validated. Bad input raises :class:`ConfigError` naming the option.
    """
    if text is None:
        return None
    cls = _params_class(option)
    types = {f.name: f.type for f in fields(cls)}
    if text.strip() in ("", DEFAULT):
        return {}
    out: dict[str, Any] = {}
    for item in text.split(","):
        key, sep, value = item.partition("=")
        key = _ALIASES.get(key.strip(), key.strip())
        if not sep or key not in types:
            expected = ", ".join(("lambda" if n == "lambda_value" else n) for n in types)
            raise ConfigError(f"{option} {text!r}: expected key=value pairs with keys {expected}")
        kind = int if types[key] in (int, "int") else float
        try:
            out[key] = kind(value.strip())
        except ValueError:
            raise ConfigError(
                f"{option} {text!r}: {key} must be {'an integer' if kind is int else 'a number'}"
            ) from None
    try:
        cls.from_arg(out)
    except MetricError as exc:
        raise ConfigError(f"{option} {text!r}: {exc}") from exc
    return out


def _params_class(option: str):
    if option == "--rerank":
        from harness.metrics.rerank import RerankParams

        return RerankParams
    if option == "--aqe":
        from harness.metrics.aqe import AQEParams

        return AQEParams
    raise ConfigError(f"unknown scoring option {option!r}")  # pragma: no cover


def scoring_options(evaluation, rerank: dict | None, aqe: dict | None) -> dict[str, Any]:
    """Keyword arguments of :func:`harness.metrics.evaluate_features` for a leg: the protocol's
    re-ranking unless ``--rerank`` was given (its parameters, ``{}`` = defaults), and ``--aqe``."""
    return {
        "rerank": (rerank or True) if rerank is not None else evaluation.rerank,
        "aqe": (aqe or True) if aqe is not None else None,
    }


def with_run_settings(evaluation, rerank: dict | None):
    """The leg's evaluation settings as recorded: ``rerank: true`` when ``--rerank`` was given."""
    return evaluation.model_copy(update={"rerank": True}) if rerank is not None else evaluation
