"""Record identity helpers (``harness.results.identity``) on their own; runs: test_identity_runs.py."""

from __future__ import annotations


def test_canonical_slug_orders_parts_and_shortens_default_parameters():
    from harness.results.identity import canonical_slug

    assert canonical_slug("flip+rerank-20-6-0.3") == "rerank+flip"
    assert canonical_slug("w-1a2b3c4d+bf16+aqe-1-5-3") == "aqe+bf16+w-1a2b3c4d"
    assert canonical_slug("splits-metabin+cosine+mask0.3") == "mask0.3+cosine+splits-metabin"
    assert canonical_slug("rerank-10-6-0.3") == "rerank-10-6-0.3" and canonical_slug("") == ""


def test_canonical_slug_keeps_every_slug_settings_slug_writes():
    # the order table of canonical_slug must agree with settings_slug (two lists that must agree):
    # a slug with every part set is a fixed point, and its parts shuffled come back to it
    from types import SimpleNamespace

    from harness.results.identity import canonical_slug, settings_slug
    from harness.results.schema import (
        AQESettings,
        CheckpointRef,
        EvalConvention,
        RerankSettings,
        Settings,
        TextMaskSettings,
    )

    evaluation = SimpleNamespace(distance="euclidean", normalize=True)
    full = Settings(
        rerank=RerankSettings(k1=10),
        aqe=AQESettings(),
        flip=True,
        dtype="bf16",
        method_dtype="fp32",
        text_mask=TextMaskSettings(ratio=0.3, strategy="unk"),
        convention=EvalConvention(distance="cosine", normalize=False),
        checkpoint=CheckpointRef(sha256="ab" * 32, card_sha256="cd" * 32),
        splits="metabin",
    )
    random_init = full.model_copy(update={"checkpoint": None})
    for settings, weights in ((full, "checkpoint"), (random_init, "random-init")):
        slug = settings_slug(settings, evaluation, weights)
        assert len(slug.split("+")) == 8  # every part: the last one w-... or random-init
        assert canonical_slug(slug) == slug
        assert canonical_slug("+".join(reversed(slug.split("+")))) == slug
