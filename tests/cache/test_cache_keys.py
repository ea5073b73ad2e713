"""The cache key changes when any hashed field changes, and only then."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from harness.cache.keys import EmbeddingKey, items_digest, texts_digest
from harness.engine.encoder import make_key
from harness.methods.adapter import MethodAdapter, WeightsInfo
from harness.methods.registry import get_card


def _adapter(**card_changes) -> MethodAdapter:
    import torch

    dtype = card_changes.pop("dtype", None)
    weights = card_changes.pop("weights", WeightsInfo(kind="weights-free"))
    variant = card_changes.pop("variant", None)
    card = get_card("hsv-hist").model_copy(update=card_changes)
    return MethodAdapter(
        card, torch.nn.Identity(), variant=variant, weights=weights, device=torch.device("cpu"), dtype=dtype
    )


@pytest.fixture()
def items(tmp_path: Path) -> tuple[list[str], list[int]]:
    paths = []
    for i in range(3):
        path = tmp_path / f"{i:04d}_c1.jpg"
        path.write_bytes(bytes([i]) * 100)
        paths.append(str(path))
    return paths, [0, 1, 2]


def _key(method=None, paths=None, camids=None, role="gallery", tta="none", mode="stat", items=None):
    method = method or _adapter()
    paths = paths if paths is not None else items[0]
    camids = camids if camids is not None else items[1]
    return make_key(method, paths, camids, role=role, tta=tta, item_mode=mode).digest


def test_same_inputs_same_key(items) -> None:
    assert _key(items=items) == _key(items=items)
    assert _key(_adapter(), items=items) == _key(_adapter(), items=items)


@pytest.mark.parametrize(
    "change",
    [
        {"name": "other-method"},
        {"adapter_version": "2"},
        {"input_size": (256, 128)},
        {"interpolation": "bicubic"},
        {"mean": (0.5, 0.5, 0.5), "std": (0.5, 0.5, 0.5)},
        {"test_feature": "a different tensor"},
        {"family_config": {"stripes": 8}},
        {"dtype": "bf16"},
        {"weights": WeightsInfo(kind="checkpoint", sha256="ab" * 32)},
        {"weights": WeightsInfo(kind="random-init")},
    ],
    ids=lambda c: next(iter(c)),
)
def test_method_fields_change_the_key(items, change) -> None:
    assert _key(_adapter(**change), items=items) != _key(items=items)


def test_checkpoint_sha_changes_the_key(items) -> None:
    a = _adapter(weights=WeightsInfo(kind="checkpoint", sha256="ab" * 32))
    b = _adapter(weights=WeightsInfo(kind="checkpoint", sha256="cd" * 32))
    assert _key(a, items=items) != _key(b, items=items)


def test_role_tta_and_modality_change_the_key(items) -> None:
    base = _key(items=items)
    assert _key(role="query", items=items) != base  # same items, other role: never the same entry
    assert _key(tta="flip", items=items) != base
    key = EmbeddingKey(method={}, modality="image", role="query", tta="none", items="x", n_items=1)
    assert key.digest != EmbeddingKey(**{**key.fields(), "modality": "text"}).digest


def test_item_list_changes_the_key(items, tmp_path: Path) -> None:
    paths, camids = items
    base = _key(items=items)
    assert _key(paths=paths[::-1], camids=camids[::-1], items=items) != base  # order matters
    assert _key(paths=paths[:2], camids=camids[:2], items=items) != base
    assert _key(camids=[0, 1, 5], items=items) != base  # camera ids feed SIE
    os.utime(paths[0], ns=(1, 1))  # mtime
    assert _key(items=items) != base
    mtime_changed = _key(items=items)
    Path(paths[1]).write_bytes(b"x" * 101)  # size
    assert _key(items=items) != mtime_changed


def test_content_mode_hashes_bytes_not_paths(items, tmp_path: Path) -> None:
    paths, camids = items
    copies = []
    for path in paths:
        copy = tmp_path / "copy" / Path(path).name
        copy.parent.mkdir(exist_ok=True)
        shutil.copyfile(path, copy)
        copies.append(str(copy))
    assert items_digest(paths, camids, "content") == items_digest(copies, camids, "content")
    assert items_digest(paths, camids, "stat") != items_digest(copies, camids, "stat")
    assert items_digest(paths, camids, "stat") != items_digest(paths, camids, "content")
    Path(copies[0]).write_bytes(b"\x07" * 100)  # same size, other bytes
    os.utime(copies[0], ns=(1, 1))
    assert items_digest(paths, camids, "content") != items_digest(copies, camids, "content")


def test_execution_settings_are_not_hashed(items) -> None:
    """Device, batch size, channels_last and compile do not enter the key (they only reassociate)."""
    import inspect

    assert set(inspect.signature(make_key).parameters) == {
        "method",
        "paths",
        "camids",
        "role",
        "tta",
        "item_mode",
    }


def test_texts_digest_is_order_and_content_sensitive() -> None:
    assert texts_digest(["a", "b"]) == texts_digest(["a", "b"])
    assert texts_digest(["a", "b"]) != texts_digest(["b", "a"])
    assert texts_digest(["ab"]) != texts_digest(["a", "b"])


def test_bad_key_fields_are_rejected() -> None:
    with pytest.raises(ValueError, match="role"):
        EmbeddingKey(method={}, modality="image", role="probe", tta="none", items="x", n_items=1)
