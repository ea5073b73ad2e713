"""Issue 9, item 4, through ``harness run``: NaN/Inf embeddings stop the run before scoring with the
count, NaN vs Inf, and the first offending items; no record is written. Image legs and text legs.

The runner-level test is ``tests/engine/test_engine_runner.py::test_nan_embeddings_stop_before_scoring``."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.robustness._support import assert_user_error, run


@pytest.mark.parametrize(
    ("bad", "kind"),
    [(float("nan"), "2 with NaN, 0 with Inf only"), (float("inf"), "0 with NaN, 2 with Inf only")],
)
def test_non_finite_image_embeddings_stop_before_scoring(
    tiny_world: Path, tmp_path: Path, cli, monkeypatch, bad: float, kind: str
) -> None:
    from harness.data.registry import get_reader
    from harness.models.hsv_hist import StripeHSVHistogram

    original = StripeHSVHistogram.encode_image

    def poisoned(self, images, camids=None):
        out = original(self, images, camids)
        out[2, 0] = bad  # the third image of every batch: queries 2 and 18 of 32 (batches of 16)
        return out

    monkeypatch.setattr(StripeHSVHistogram, "encode_image", poisoned)
    read = get_reader("market1501").read(tiny_world)
    queries = read.manifest.select("query")
    output = assert_user_error(run(cli, tiny_world, tmp_path / "out", "--no-cache"))
    flat = " ".join(output.split())
    assert f"2 of 32 query embeddings are not finite ({kind}" in flat
    assert f"{queries[2].path}, {queries[18].path}" in flat and "nothing was scored" in flat
    assert not (tmp_path / "out" / "hsv-hist").exists()


def test_non_finite_caption_embeddings_stop_a_text_leg(
    tiny_world: Path, tmp_path: Path, cli, monkeypatch
) -> None:
    from harness.models.attr_match import AttributeMatcher

    original = AttributeMatcher.encode_text

    def poisoned(self, tokens):
        out = original(self, tokens).clone()
        out[0, 0] = float("nan")  # the first caption of every batch
        return out

    monkeypatch.setattr(AttributeMatcher, "encode_text", poisoned)
    output = assert_user_error(
        run(cli, tiny_world, tmp_path / "out", protocol="t2i", method="attr-match", leg="cuhk-pedes")
    )
    flat = " ".join(output.split())
    assert "caption embeddings are not finite" in flat and "(caption 0)" in flat
    assert not (tmp_path / "out" / "attr-match").exists()
