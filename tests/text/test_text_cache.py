"""Cached text legs: what the key of a caption list holds, and mask tokens of real text families."""

from __future__ import annotations

from pathlib import Path

import torch

from harness.engine.encoder import encode_texts, make_text_key
from harness.methods import load_method
from harness.runner import RunOptions, run_protocol
from harness.text.queries import mask_key_fields

CAPTIONS = ["A man in a red shirt and blue jeans.", "A woman with a black bag, white shoes."]


def test_mask_key_changes_with_ratio_seed_strategy_token_and_repeat() -> None:
    method = load_method("attr-match", device="cpu")
    unmasked = make_text_key(method, CAPTIONS, role="query").digest
    assert mask_key_fields(0.0, "mask", "[MASK]", 0, 0) is None  # ratio 0 is the unmasked entry
    settings = [
        (0.3, "mask", "[MASK]", 0, 0),
        (0.4, "mask", "[MASK]", 0, 0),
        (0.3, "unk", "[UNK]", 0, 0),
        (0.3, "delete", "", 0, 0),
        (0.3, "mask", "<m>", 0, 0),
        (0.3, "mask", "[MASK]", 1, 0),
        (0.3, "mask", "[MASK]", 0, 1),
    ]
    digests = {
        make_text_key(method, CAPTIONS, role="query", extra=mask_key_fields(*s)).digest for s in settings
    }
    assert len(digests) == len(settings) and unmasked not in digests
    # the same texts as a gallery (i2t) are another entry
    assert make_text_key(method, CAPTIONS, role="gallery").digest != unmasked


def test_methods_and_random_init_seeds_never_share_text_embeddings(tiny_text_cards, tmp_path: Path) -> None:
    from harness.cache.store import EmbeddingStore

    store = EmbeddingStore(tmp_path / "cache")
    torch.manual_seed(0)
    irra = load_method("tiny-irra", device="cpu", random_init=True)
    clip = load_method("tiny-clip", device="cpu", random_init=True)
    attr = load_method("attr-match", device="cpu")
    keys = {make_text_key(m, CAPTIONS, role="query").digest for m in (irra, clip, attr)}
    assert len(keys) == 3
    first = encode_texts(clip, CAPTIONS, role="query", store=store)
    torch.manual_seed(1)  # another random network under the same card: another entry
    other = load_method("tiny-clip", device="cpu", random_init=True)
    second = encode_texts(other, CAPTIONS, role="query", store=store)
    assert first.key != second.key and first.status == second.status == "miss"
    assert not torch.allclose(torch.from_numpy(first.features), torch.from_numpy(second.features))


def test_clip_family_mask_token_from_the_card(tiny_text_cards) -> None:
    irra = load_method("tiny-irra", device="cpu", random_init=True)
    assert irra.model.mask_token == "jekyll" and irra.model.mask_token_id == 49405
    ids = irra.tokenize([f"a {irra.model.mask_token} shirt"])[0, :5].tolist()
    assert ids == [49406, 320, 49405, 2523, 49407]  # SOT a <mask> shirt EOT: one id per masked word
    clip = load_method("tiny-clip", device="cpu", random_init=True)
    assert clip.model.mask_token is None and clip.model.mask_token_id is None
    for name in ("irra", "dgcmia"):  # the real cards declare IRRA's <|mask|> id
        from harness.methods.registry import get_card

        assert get_card(name).family_config_for(None)["mask_token_id"] == 49405


def test_textmask_records_the_family_token_or_the_fallback(
    tiny_text_cards, tiny_world: Path, tmp_path: Path
) -> None:
    records = {}
    for name in ("tiny-irra", "tiny-clip"):
        options = RunOptions(
            data_root=tiny_world, out_dir=tmp_path / "out", device="cpu", random_init=True, batch_size=1024
        )
        outcomes = run_protocol("textmask", name, options, legs=["rstpreid"])
        records[name] = {o.record.settings.text_mask.ratio: o.record for o in outcomes}
    irra = records["tiny-irra"][0.3]
    assert irra.settings.text_mask.token == "jekyll"
    assert irra.settings.text_mask.token_id == 49405
    assert irra.settings.text_mask.token_source == "model"
    assert any("single id 49405" in n for n in irra.notes)
    clip = records["tiny-clip"][0.3]
    assert clip.settings.text_mask.token == "[MASK]"
    assert clip.settings.text_mask.token_source == "default"
    assert any("defines no mask token; masked words became '[MASK]'" in n for n in clip.notes)
    # two methods, same captions: never one entry
    assert set(irra.engine.encode["query"]["keys"]).isdisjoint(clip.engine.encode["query"]["keys"])
    zero = [records[n][0.0].engine.encode["query"]["keys"][0] for n in records]
    assert zero[0] != zero[1]
