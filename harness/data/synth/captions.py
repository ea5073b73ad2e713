"""Captions generated from an identity's attributes with varied templates.

Each image gets captions in the style of CUHK-PEDES: several sentences naming clothing colours and
types, hair, shoes, bag and hat; the view decides whether the bag is mentioned as seen.
"""

from __future__ import annotations

import numpy as np

from harness.data.synth.world import Identity


def _article(word: str) -> str:
    return "an" if word[0] in "aeiou" else "a"


def _bag_phrase(person: Identity) -> str:
    if person.bag == "none":
        return "carrying nothing"
    return f"carrying {_article(person.bag_colour)} {person.bag_colour} {person.bag}"


def _hat_phrase(person: Identity) -> str:
    return (
        "" if person.hat == "none" else f" and {_article(person.hat_colour)} {person.hat_colour} {person.hat}"
    )


def caption(person: Identity, view: str, rng: np.random.Generator) -> str:
    """One caption for ``person`` seen from ``view``; the template is drawn from ``rng``."""
    upper = f"{person.upper_colour} {person.upper_type}"
    lower = f"{person.lower_colour} {person.lower_type}"
    hair = f"{'long' if person.hair_long else 'short'} {person.hair_colour} hair"
    templates = [
        f"a person wearing {_article(upper)} {upper} and {lower}, {_bag_phrase(person)}.",
        f"The pedestrian has {hair}{_hat_phrase(person)}, wears {_article(upper)} {upper}, {lower} "
        f"and {person.shoes} shoes.",
        f"A walking person in {_article(upper)} {upper} with {lower} and {person.shoes} shoes, "
        f"{_bag_phrase(person)}.",
        f"This person is wearing {lower} and {_article(upper)} {upper}. The person has {hair}.",
        f"Someone seen from the {view} with {hair}, dressed in {_article(upper)} {upper} and {lower}"
        f"{_hat_phrase(person)}.",
        f"A person with {person.shoes} shoes, {lower} and {_article(upper)} {upper}, {_bag_phrase(person)}.",
    ]
    return templates[int(rng.integers(len(templates)))]


def captions_for(person: Identity, view: str, rng: np.random.Generator, n: int = 2) -> tuple[str, ...]:
    """``n`` captions for one image (templates may repeat, wording is drawn independently)."""
    return tuple(caption(person, view, rng) for _ in range(n))
