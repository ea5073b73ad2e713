"""Which checkpoint each protocol leg uses: ``--weights``, ``--weights-dir`` and the method card.

Resolved before any work starts, so a run without weights fails at once with every leg's expected
file named, not after an hour of extraction.
"""

from __future__ import annotations

import logging
from pathlib import Path

from harness.errors import CheckpointError, ConfigError
from harness.methods.card import MethodCard

log = logging.getLogger(__name__)


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


def refuse_weights_for_weights_free(card: MethodCard, given: bool) -> None:
    """A checkpoint option given to a weights-free method is an error, not silently ignored."""
    if card.weights_free and given:
        raise ConfigError(
            f"method {card.name!r} is weights-free (it loads no checkpoint), so --weights/--weights-dir "
            "would be ignored; drop the option, or choose a method that takes a checkpoint"
        )


def resolve_weights(
    card: MethodCard,
    legs: list[str],
    *,
    weights: list[str] | None = None,
    weights_dir: Path | None = None,
    random_init: bool = False,
) -> dict[str, Path | None]:
    """The checkpoint path of every leg (None: weights-free method or ``random_init``).

    Precedence: ``--weights``, then ``--weights-dir`` with the card's file name, then
    ``--random-init``, then the card's library weights (``pretrained:``, downloaded).
    """
    refuse_weights_for_weights_free(card, bool(weights) or weights_dir is not None)
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
        elif card.pretrained is not None:
            from harness.methods.pretrained import download_pretrained

            path = download_pretrained(card)  # offline: fails here, before any work, saying what to pass
        else:
            entry = card.checkpoint_for(leg)
            where = (
                f"{entry.file}" + (f" (from {entry.url})" if entry.url else "") if entry else "no file listed"
            )
            problems.append(f"  leg {leg}: {where}")
            continue
        if not path.is_file():
            problems.append(
                f"  leg {leg}: {path} " + ("is not a file" if path.exists() else "does not exist")
            )
            continue
        resolved[leg] = path
    if problems:
        raise CheckpointError(
            f"method {card.name!r} needs a checkpoint for each leg:\n" + "\n".join(problems) + "\n"
            "Pass --weights LEG=PATH (or --weights PATH for one leg), or --weights-dir DIR holding the "
            "files named above; --random-init runs without weights (results marked non-reportable)."
        )
    return resolved


def sha256_mismatch(
    card: MethodCard, leg: str | None, actual: str | None, path: str | Path | None
) -> str | None:
    """The mismatch message when ``actual`` differs from the sha256 the card lists for ``leg``.

    None when the card lists no sha256 for the leg (or there is no checkpoint). The comparison
    ignores case and an optional ``sha256:`` prefix, as :func:`harness.checkpoints.verify_sha256`.
    """
    entry = card.checkpoint_for(leg)
    if entry is None or not entry.sha256 or actual is None:
        return None
    want = entry.sha256.strip().lower().removeprefix("sha256:")
    if want == actual.lower():
        return None
    return (
        f"checkpoint {path} has sha256 {actual}, but method {card.name!r} lists {want} for "
        f"{entry.file} (leg {leg}): the file is not the published checkpoint (or the card is out of date)"
    )


def check_checkpoint_hashes(card: MethodCard, resolved: dict[str, Path | None], *, strict: bool) -> None:
    """Hash every leg's checkpoint whose card entry lists a sha256, before any work.

    A mismatch is logged as a warning (the result record also gets a note), or raises
    :class:`CheckpointError` under ``strict`` (``--strict``). Checkpoints without a listed sha256
    are not hashed here.
    """
    from harness.checkpoints import sha256_file

    for leg, path in resolved.items():
        entry = card.checkpoint_for(leg)
        if path is None or entry is None or not entry.sha256:
            continue
        message = sha256_mismatch(card, leg, sha256_file(path), path)
        if message is None:
            continue
        if strict:
            raise CheckpointError(f"{message}; refused under --strict")
        log.warning("%s; pass --strict to refuse it", message)
