from __future__ import annotations

from harness.data.manifest import Item, Manifest


def make() -> Manifest:
    return Manifest(
        [
            Item("/a/1.jpg", 1, 0, "query", "d"),
            Item("/a/2.jpg", 1, 1, "gallery", "d"),
            Item("/a/3.jpg", 2, 1, "gallery", "d", captions=("a person",)),
        ],
        name="d",
    )


def test_views_and_selection() -> None:
    manifest = make()
    assert manifest.pids.tolist() == [1, 1, 2]
    assert manifest.camids.tolist() == [0, 1, 1]
    assert manifest.splits() == ["query", "gallery"]
    gallery = manifest.select("gallery")
    assert len(gallery) == 2 and gallery.num_ids == 2 and gallery.num_cams == 1
    assert isinstance(manifest[1:], Manifest)


def test_fingerprint_depends_on_labels_and_order() -> None:
    base = make().fingerprint()
    assert base == make().fingerprint()
    items = list(make())
    changed = Manifest([*items[:2], Item("/a/3.jpg", 3, 1, "gallery", "d")])
    assert changed.fingerprint() != base
    assert Manifest(reversed(items)).fingerprint() != base


def test_to_frame() -> None:
    frame = make().to_frame()
    assert list(frame.columns) == ["path", "pid", "camid", "split", "dataset", "captions"]
    assert frame.loc[2, "captions"] == "a person"
