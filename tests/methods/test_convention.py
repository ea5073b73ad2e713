"""Scoring conventions: each method by its own code's distance/normalisation (default), or one common
convention (the protocol's) for every method; the record says which was used."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from harness.errors import ConfigError
from harness.methods import METHODS, get_card
from harness.methods.convention import apply_convention, check_convention, resolve_convention
from harness.protocols import get_protocol

# the official test-time evaluation of each method with public code (docs/methods.md)
OFFICIAL = {
    "clip-reid": ("sqeuclidean", True),  # R1_mAP_eval(feat_norm='yes'), euclidean_distance without sqrt
    "transreid": ("sqeuclidean", True),
    "cmdg": ("sqeuclidean", True),  # run.py passes feat_norm=True
    "clip-fgdi": ("sqeuclidean", False),  # run.py:test builds R1_mAP_eval(..., feat_norm=False)
    "pat": ("sqeuclidean", True),
    "solider": ("sqeuclidean", True),
    "dmf": ("sqeuclidean", True),
    "irra": ("cosine", True),
    "dgcmia": ("cosine", True),
    "cmmt": ("cosine", True),  # 1 - squared distance of normalised features: cosine order
}


@pytest.mark.parametrize("method", sorted(OFFICIAL))
def test_card_states_its_official_evaluation(method: str) -> None:
    card = get_card(method)
    assert (card.distance, card.normalize_features) == OFFICIAL[method]


def test_every_card_resolves_under_both_conventions() -> None:
    evaluation = get_protocol("p2").evaluation_for(get_protocol("p2").legs[0])
    for name in METHODS.names():
        card = get_card(name)
        own = resolve_convention(card, evaluation, "p2")
        assert (
            own.name == "method" and own.distance == card.distance and own.source == f"method card {name!r}"
        )
        common = resolve_convention(card, evaluation, "p2", "common")
        assert (common.distance, common.normalize) == (evaluation.distance, evaluation.normalize)


def test_fgdi_is_scored_on_unnormalised_features_unless_common() -> None:
    p2 = get_protocol("p2")
    evaluation = p2.evaluation_for(p2.legs[0])
    scored, conv = apply_convention(get_card("clip-fgdi"), evaluation, "p2")
    assert (scored.distance, scored.normalize) == ("sqeuclidean", False)
    assert (
        scored.junk == evaluation.junk and scored.max_rank == evaluation.max_rank
    )  # the rest is the protocol's
    scored, conv = apply_convention(get_card("clip-fgdi"), evaluation, "p2", "common")
    assert (scored.distance, scored.normalize) == ("euclidean", True) and conv.source == "protocol 'p2'"


def test_cosine_always_normalises() -> None:
    card = get_card("irra").model_copy(update={"normalize_features": False})
    t2i = get_protocol("t2i")
    assert resolve_convention(card, t2i.evaluation_for(t2i.legs[0]), "t2i").normalize is True


def test_unknown_convention_is_one_line() -> None:
    with pytest.raises(ConfigError, match=r"^--convention must be one of method, common, got 'paper'$"):
        check_convention("paper")


@pytest.fixture()
def tiny_fgdi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reset_registry) -> str:
    card = get_card("clip-fgdi").model_dump(exclude={"source_dir"}, mode="json")
    small = {"input_size": [32, 16], "patch_size": 8, "width": 16, "layers": 2, "heads": 2, "output_dim": 8}
    card.update(name="tiny-fgdi", aliases=[], input_size=[32, 16])
    card["family_config"] = {**card["family_config"], **small}
    (tmp_path / "cards" / "tiny-fgdi").mkdir(parents=True)
    (tmp_path / "cards" / "tiny-fgdi" / "method.yaml").write_text(yaml.safe_dump(card))
    monkeypatch.setenv("HARNESS_METHOD_PATH", str(tmp_path / "cards"))
    reset_registry(METHODS)
    return "tiny-fgdi"


@pytest.mark.parametrize(
    ("option", "expected"), [(None, ("sqeuclidean", False)), ("common", ("euclidean", True))]
)
def test_run_scores_with_the_convention_and_records_it(
    cli, tiny_world: Path, tmp_path: Path, tiny_fgdi: str, option: str | None, expected: tuple[str, bool]
) -> None:
    from harness.cli.app import app

    args = ["run", "-p", "single", "-m", tiny_fgdi, "--leg", "market1501", "--random-init", "--no-progress"]
    args += ["--data-root", str(tiny_world), "--out", str(tmp_path / "o")]
    args += ["--convention", option] if option else []
    result = cli.invoke(app, args)
    assert result.exit_code == 0, result.output
    (path,) = (tmp_path / "o").rglob("*.json")
    record = json.loads(path.read_text())
    convention = record["conventions"]["evaluation_convention"]
    assert convention["name"] == (option or "method")
    assert (convention["distance"], convention["normalize_features"]) == expected
    # what the scorer actually used, as the metrics layer records it
    assert (record["conventions"]["distance"], record["conventions"]["normalize"]) == expected
    settings = record["settings"]["convention"]
    assert (settings["distance"], settings["normalize"], settings["source"]) == (
        *expected,
        option or "method",
    )
    # the protocol block keeps the protocol's own evaluation
    evaluation = record["protocol"]["evaluation"]
    assert (evaluation["distance"], evaluation["normalize"]) == ("euclidean", True)
    # the method's own convention differs from the protocol's here: the record's identity says so
    assert ("sqeuclidean-raw" in str(path)) == (option is None)
