"""Which checkpoint each protocol leg uses: ``--weights``, ``--weights-dir`` and the method card.

Resolved before any work starts, so a run without weights fails at once with every leg's expected
file named, not after an hour of extraction.
"""

from __future__ import annotations

from pathlib import Path

from harness.errors import CheckpointError, ConfigError
from harness.methods.card import MethodCard


def parse_weights_options(values: list[str] | None, legs: list[str]) -> dict[str, Path]:
    """``LEG=PATH`` pairs, or one bare ``PATH`` when exactly one leg runs."""
    mapping: dict[str, Path] = {}
    for value in values or []:
        leg, sep, path = value.partition("=")
        if not sep:
            if len(legs) != 1 or len(values or []) != 1:
                raise ConfigError(
                    f"--weights {value!r} has no LEG= prefix; with several legs ({', '.join(legs)}) "
                    "pass --weights LEG=PATH for each, or --weights-dir DIR"
                )
            mapping[legs[0]] = Path(value)
            continue
        if leg not in legs:
            raise ConfigError(f"--weights names leg {leg!r}, which is not run; legs: {', '.join(legs)}")
        mapping[leg] = Path(path)
    return mapping


def resolve_weights(
    card: MethodCard,
    legs: list[str],
    *,
    weights: list[str] | None = None,
    weights_dir: Path | None = None,
    random_init: bool = False,
) -> dict[str, Path | None]:
    """The checkpoint path of every leg (None: weights-free method or ``random_init``)."""
    explicit = parse_weights_options(weights, legs)
    resolved: dict[str, Path | None] = {}
    problems: list[str] = []
    for leg in legs:
        if card.weights_free:
            resolved[leg] = None
            continue
        if leg in explicit:
            path = explicit[leg]
        elif weights_dir is not None and card.checkpoint_for(leg) is not None:
            path = Path(weights_dir) / card.checkpoint_for(leg).file  # type: ignore[union-attr]
        elif random_init:
            resolved[leg] = None
            continue
        else:
            entry = card.checkpoint_for(leg)
            where = (
                f"{entry.file}" + (f" (from {entry.url})" if entry.url else "") if entry else "no file listed"
            )
            problems.append(f"  leg {leg}: {where}")
            continue
        if not path.is_file():
            problems.append(f"  leg {leg}: {path} does not exist")
            continue
        resolved[leg] = path
    if problems:
        raise CheckpointError(
            f"method {card.name!r} needs a checkpoint for each leg:\n" + "\n".join(problems) + "\n"
            "Pass --weights LEG=PATH (or --weights PATH for one leg), or --weights-dir DIR holding the "
            "files named above; --random-init runs without weights (results marked non-reportable)."
        )
    return resolved
