"""Reading result files of older schema versions: each migration turns version N into N + 1.

Version 1 -> 2 (``migrate_v1``):

* ``protocol.test`` loses the keys text legs added to it: ``text_mask`` (and the older
  ``mask_ratio``/``ratio``) move to ``settings.text_mask``; ``directions`` is dropped (the record's
  ``i2t_*`` metrics say it). A text-mask leg named ``<leg>@mask<ratio>`` becomes ``<leg>`` (the ratio
  is part of the identity through ``settings``).
* ``protocol.evaluation`` gets the protocol defaults for keys a file lacks.
* ``settings`` is filled from what version 1 recorded: re-ranking and AQE parameters from
  ``conventions``, flip from ``engine.settings.tta``, precision from ``method.dtype`` (the card's own
  precision is unknown, so a v1 record never carries a precision in its identity), the evaluation
  distance and normalisation from ``conventions`` (source ``protocol``: version 1 always scored with
  the protocol's), the checkpoint from ``method.checkpoint_sha256``.
* an empty ``cost`` block becomes ``None``.

Migrations work on the parsed JSON (plain dicts) so that a file is validated once, against the
current schema, after migrating.
"""

from __future__ import annotations

import re
from typing import Any

from harness.errors import ResultError

MASK_LEG = re.compile(r"^(?P<leg>.+)@mask(?P<ratio>\d+(?:\.\d+)?)$")
"""Schema-1 text-mask leg names (``cuhk-pedes@mask0.3``): the leg and the mask ratio."""


def migrate_v1(raw: dict[str, Any]) -> dict[str, Any]:
    """A version-1 record (parsed JSON) as a version-2 one."""
    out = dict(raw)
    protocol = dict(raw.get("protocol") or {})
    test = dict(protocol.get("test") or {})
    conventions = raw.get("conventions") or {}
    method = raw.get("method") or {}
    engine = raw.get("engine") or {}

    text_mask = test.pop("text_mask", None)
    legacy = [test.pop(k, None) for k in ("mask_ratio", "ratio")]
    legacy_ratio = next((r for r in legacy if r is not None), None)
    test.pop("directions", None)
    if text_mask is None and legacy_ratio is not None:
        text_mask = {"ratio": float(legacy_ratio)}
    leg = protocol.get("leg")
    if text_mask is not None and isinstance(leg, str) and (m := MASK_LEG.match(leg)):
        protocol["leg"] = m.group("leg")
    protocol["test"] = test

    evaluation = dict(protocol.get("evaluation") or {})
    protocol["evaluation"] = evaluation
    out["protocol"] = protocol

    settings: dict[str, Any] = {"flip": (engine.get("settings") or {}).get("tta") == "flip"}
    rerank = conventions.get("rerank")
    if isinstance(rerank, dict):
        settings["rerank"] = {k: rerank[k] for k in ("k1", "k2", "lambda_value") if k in rerank}
    elif evaluation.get("rerank"):
        settings["rerank"] = {}
    aqe = conventions.get("aqe")
    if isinstance(aqe, dict):
        settings["aqe"] = {k: aqe[k] for k in ("qe_times", "qe_k", "alpha") if k in aqe}
    if "dtype" in method:
        settings["dtype"] = method["dtype"]
    if text_mask is not None:
        settings["text_mask"] = text_mask
    distance = conventions.get("distance", evaluation.get("distance"))
    normalize = conventions.get("normalize", evaluation.get("normalize"))
    if distance is not None and normalize is not None:
        settings["convention"] = {"distance": distance, "normalize": normalize, "source": "protocol"}
    if method.get("checkpoint_sha256"):
        settings["checkpoint"] = {"sha256": method["checkpoint_sha256"]}
    out["settings"] = settings

    if not raw.get("cost"):
        out["cost"] = None
    out["schema_version"] = 2
    return out


MIGRATIONS = {1: migrate_v1}
"""``MIGRATIONS[n]`` turns a parsed version-``n`` record into version ``n + 1``."""


def migrate(raw: dict[str, Any], target: int, where: str) -> dict[str, Any]:
    """``raw`` brought up to schema version ``target``; an unknown version raises naming ``where``."""
    version = raw.get("schema_version")
    while version != target:
        step = MIGRATIONS.get(version) if isinstance(version, int) else None
        if step is None:
            raise ResultError(
                f"{where}: schema_version {version!r} is not supported (this harness reads versions "
                f"{', '.join(str(v) for v in sorted(MIGRATIONS))} to {target})"
            )
        raw = step(raw)
        version = raw.get("schema_version")
    return raw
