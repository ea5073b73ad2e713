"""Evaluation settings chosen at run time (``harness run --rerank``, ``--aqe``), on top of a protocol.

``--rerank`` alone means k-reciprocal re-ranking with the published defaults (k1=20, k2=6,
lambda=0.3); ``--rerank k1=20,k2=6,lambda=0.3`` sets them. ``--aqe`` alone means fast-reid's
average query expansion defaults (qe_times=1, qe_k=5, alpha=3.0); ``--aqe qe_k=10`` sets them. The
chosen parameters are validated by the metrics code and become the leg's evaluation settings
(``rerank`` / ``aqe`` of :class:`harness.protocols.spec.EvaluationSpec`, which a protocol file may
also set), so the record's ``protocol.evaluation`` and ``conventions`` carry them and a re-ranked
result is never mistaken for a plain one.
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


def with_run_settings(evaluation, rerank: dict | None, aqe: dict | None):
    """The leg's evaluation settings with ``--rerank`` / ``--aqe`` applied (``{}``: the defaults,
    written ``true``); the scorer and the record both read them from here."""
    update: dict[str, Any] = {}
    if rerank is not None:
        update["rerank"] = rerank or True
    if aqe is not None:
        update["aqe"] = aqe or True
    return type(evaluation).model_validate({**evaluation.model_dump(), **update}) if update else evaluation
