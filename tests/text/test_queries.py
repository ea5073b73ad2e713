"""Caption queries of a text leg: one query per caption, with its image's pid."""

from __future__ import annotations

from harness.data.manifest import Item, Manifest
from harness.results.identity import format_ratio
from harness.text.queries import caption_queries


def test_each_caption_is_one_query_with_its_image_pid() -> None:
    manifest = Manifest(
        [
            Item("/a.jpg", 5, 0, "test", "d", captions=("red", "red shirt")),
            Item("/b.jpg", 7, 0, "test", "d", captions=("blue",)),
        ]
    )
    queries = caption_queries(manifest)
    assert queries.captions == ["red", "red shirt", "blue"]
    assert queries.pids.tolist() == [5, 5, 7]
    assert queries.image_index.tolist() == [0, 0, 1]


def test_ratio_names_keep_one_decimal() -> None:
    assert [format_ratio(r) for r in (0, 0.1, 0.25, 1)] == ["0.0", "0.1", "0.25", "1.0"]
