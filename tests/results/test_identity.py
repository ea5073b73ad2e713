"""Record identity helpers (``harness.results.identity``) on their own; runs: test_identity_runs.py."""

from __future__ import annotations


def test_canonical_slug_orders_parts_and_shortens_default_parameters():
    from harness.results.identity import canonical_slug

    assert canonical_slug("flip+rerank-20-6-0.3") == "rerank+flip"
    assert canonical_slug("w-1a2b3c4d+bf16+aqe-1-5-3") == "aqe+bf16+w-1a2b3c4d"
    assert canonical_slug("splits-metabin+cosine+mask0.3") == "mask0.3+cosine+splits-metabin"
    assert canonical_slug("rerank-10-6-0.3") == "rerank-10-6-0.3" and canonical_slug("") == ""
