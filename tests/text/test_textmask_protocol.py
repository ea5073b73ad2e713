"""The text protocols end to end on the tiny synthetic world with the weights-free attr-match."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from harness.cli.app import app
from harness.errors import ConfigError
from harness.protocols import get_protocol
from harness.reports.frame import measured_frame
from harness.reports.measured import load_measured
from harness.results.identity import format_ratio, record_key
from harness.results.io import read_record
from harness.runner import RunOptions, run_protocol

DATASETS = ("cuhk-pedes", "icfg-pedes", "rstpreid")


def textmask_frame(out: Path):
    """The measured frame's text-mask rows (values in percent), ``ratio`` for the mask ratio."""
    frame = measured_frame(load_measured(out))
    return frame[frame["mask_ratio"].notna()].rename(columns={"mask_ratio": "ratio"})


def label(record) -> str:
    """``<leg>+mask<ratio>`` for a text-mask record (its identity), else the leg."""
    return record_key(record).leg_label


RATIOS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


@pytest.fixture(scope="module")
def runs(tiny_world: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list]:
    out = tmp_path_factory.mktemp("text-results")
    cache = tmp_path_factory.mktemp("text-cache")  # module scope: the autouse cache fixture comes later
    options = RunOptions(data_root=tiny_world, out_dir=out, device="cpu", cache_dir=cache)
    return {
        "out": out,
        "cache": cache,
        "t2i": run_protocol("t2i", "attr-match", options),
        "textmask": run_protocol("textmask", "attr-match", options),
    }


def test_t2i_gives_real_numbers(runs) -> None:
    outcomes = runs["t2i"]
    assert [o.record.protocol.leg for o in outcomes] == list(DATASETS)
    for outcome in outcomes:
        record = outcome.record
        assert record.counts.n_query > record.counts.n_gallery or record.protocol.leg == "icfg-pedes"
        assert record.counts.n_valid_query == record.counts.n_query
        assert 0.5 < record.metrics["R1"] <= 1.0  # chance is 1/16 on the tiny world
        assert record.conventions["junk"] == "none" and record.conventions["denominator"] == "all"
        assert "each caption is one query" in record.conventions["multi_caption"]
        assert record.settings.text_mask is None
        assert read_record(outcome.path).metrics == record.metrics


def test_textmask_records_one_per_ratio_with_mean_and_std(runs) -> None:
    records = {label(o.record): o.record for o in runs["textmask"]}
    assert sorted(records) == sorted(f"{d}+mask{r}" for d in DATASETS for r in RATIOS)
    masked = records["cuhk-pedes+mask0.3"]
    assert masked.settings.text_mask.model_dump() == {
        "ratio": 0.3,
        "strategy": "mask",
        "token": "[MASK]",
        "token_source": "model",
        "token_id": None,
        "repeats": 3,
        "seed": 0,
        "rounding": "floor(ratio * words + 1/2) words per caption",
    }
    assert set(masked.metrics_std) == set(masked.metrics)
    assert any(v > 0 for v in masked.metrics_std.values())
    assert records["cuhk-pedes+mask0.0"].settings.text_mask.repeats == 1


def test_ratio_zero_equals_the_unmasked_run_exactly(runs) -> None:
    unmasked = {o.record.protocol.leg: o.record for o in runs["t2i"]}
    masked = {label(o.record): o.record for o in runs["textmask"]}
    for dataset in DATASETS:
        assert masked[f"{dataset}+mask0.0"].metrics == unmasked[dataset].metrics
        assert masked[f"{dataset}+mask0.0"].cmc == unmasked[dataset].cmc


def test_r1_drops_as_the_mask_ratio_grows(runs) -> None:
    frame = textmask_frame(runs["out"])
    r1 = frame[frame["metric"] == "R1"].set_index(["dataset", "ratio"])["value"]
    for dataset in DATASETS:
        curve = [r1[(dataset, r)] / 100 for r in RATIOS]
        assert curve[-1] < curve[0] - 0.2, curve
        assert all(b <= a + 0.03 for a, b in itertools.pairwise(curve)), curve


def test_masking_is_the_same_on_a_rerun(runs, tiny_world: Path) -> None:
    """Masking the captions again gives the very texts the run encoded: every masked caption list's
    cache key (sha256 of the texts plus the mask settings) is recomputed from scratch and equals the
    record's, so a rerun reads the same embeddings (no second sweep needed to show it)."""
    from harness.data.registry import get_reader
    from harness.engine.encoder import make_text_key
    from harness.methods.load import load_method
    from harness.text.masking import mask_captions
    from harness.text.queries import caption_queries, mask_key_fields

    method = load_method("attr-match", device="cpu")
    leg = get_protocol("textmask").leg("icfg-pedes")
    captions = caption_queries(
        get_reader("icfg-pedes").read(tiny_world).manifest.select(leg.test.query)
    ).captions
    records = [o.record for o in runs["textmask"] if label(o.record).startswith("icfg-pedes+mask")]
    assert len(records) == len(RATIOS)
    for record in records:
        mask = record.settings.text_mask
        keys = record.engine.encode["query"]["keys"]
        assert len(keys) == mask.repeats
        for repeat, key in enumerate(keys):
            texts = (
                captions
                if mask.ratio == 0
                else mask_captions(
                    captions,
                    mask.ratio,
                    seed=mask.seed,
                    repeat=repeat,
                    strategy=mask.strategy,
                    token=mask.token,
                )
            )
            extra = mask_key_fields(mask.ratio, mask.strategy, mask.token, mask.seed, repeat)
            assert make_text_key(method, texts, role="query", extra=extra).digest == key


def test_second_run_is_served_from_the_cache(runs, tiny_world: Path, tmp_path: Path) -> None:
    again = run_protocol(
        "textmask",
        "attr-match",
        RunOptions(data_root=tiny_world, out_dir=tmp_path, cache_dir=runs["cache"]),
        legs=["rstpreid"],
    )
    first = {label(o.record): o.record for o in runs["textmask"]}
    assert len(again) == len(RATIOS)
    for outcome in again:
        record, before = outcome.record, first[label(outcome.record)]
        assert record.metrics == before.metrics and record.metrics_std == before.metrics_std
        assert record.cmc == before.cmc
        assert record.engine.encode["gallery"]["cache"] == "hit"
        assert record.engine.encode["query"]["cache"] == "hit"
        assert record.engine.encode["query"]["keys"] == before.engine.encode["query"]["keys"]
        for phase in ("encode_gallery", "encode_gallery_data_wait", "encode_gallery_compute", "encode_text"):
            assert record.timings_s[phase] is None, phase
        assert any("encode_gallery: embeddings read from the cache" in n for n in record.notes)
        assert any(
            "caption encodings read from the cache" in n and "timing not measured" in n for n in record.notes
        )
        assert before.timings_s["encode_text"] is not None or label(before).endswith("+mask0.0")


def test_ratio_zero_shares_the_unmasked_t2i_query_embeddings(runs) -> None:
    """Same items and captions, same method, role query, no mask fields: one cache entry."""
    t2i = {o.record.protocol.leg: o.record for o in runs["t2i"]}
    masked = {label(o.record): o.record for o in runs["textmask"]}
    for dataset in DATASETS:
        zero = masked[f"{dataset}+mask0.0"].engine.encode
        assert zero["query"]["keys"] == t2i[dataset].engine.encode["query"]["keys"]
        assert zero["query"]["cache"] == "hit" and zero["gallery"]["cache"] == "hit"  # t2i ran first
        assert masked[f"{dataset}+mask0.0"].timings_s["encode_text"] is None
        keys = {
            k
            for r in (0.1, 0.2, 0.3, 0.4, 0.5)
            for k in masked[f"{dataset}+mask{r}"].engine.encode["query"]["keys"]
        }
        assert len(keys) == 15 and zero["query"]["keys"][0] not in keys  # 5 ratios x 3 repeats


def test_t2i_cross_pairs_every_source_with_every_other_target(tiny_world: Path, tmp_path: Path) -> None:
    protocol = get_protocol("t2i-cross")
    pairs = {(leg.train[0].dataset, leg.test.dataset) for leg in protocol.legs}
    assert pairs == {(s, t) for s in DATASETS for t in DATASETS if s != t}
    legs = ["cuhk-pedes_to_rstpreid", "icfg-pedes_to_rstpreid"]
    outcomes = run_protocol(
        "t2i-cross", "attr-match", RunOptions(data_root=tiny_world, out_dir=tmp_path), legs=legs
    )
    assert [o.record.protocol.leg for o in outcomes] == legs
    record = outcomes[0].record
    assert record.protocol.train[0].dataset == "cuhk-pedes" and record.protocol.test.dataset == "rstpreid"
    # a weights-free method gives the same embeddings whatever the source: same numbers on one target
    assert outcomes[0].record.metrics == outcomes[1].record.metrics


def test_image_only_method_is_refused(tiny_world: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="has no text encoder"):
        run_protocol("t2i", "hsv-hist", RunOptions(data_root=tiny_world, out_dir=tmp_path), legs=["rstpreid"])


def test_cli_run_and_report(cli, runs, tiny_world: Path, tmp_path: Path) -> None:
    result = cli.invoke(
        app,
        [
            "run",
            "-p",
            "t2i",
            "-m",
            "attr-match",
            "--leg",
            "rstpreid",
            "--data-root",
            str(tiny_world),
            "--out",
            str(tmp_path / "r"),
            "--no-progress",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "rstpreid" in result.output
    plot = tmp_path / "curve.png"
    args = ["text", "report", "--results", str(runs["out"]), "--allow-nonreportable"]
    result = cli.invoke(app, [*args, "--plot", str(plot)])
    assert result.exit_code == 0, result.output
    assert "attr-match (measured)" in result.output and "CUHK-PEDES" in result.output
    assert (tmp_path / "curve.png").read_bytes()[:4] == b"\x89PNG"
    result = cli.invoke(app, [*args, "--format", "csv"])
    assert result.exit_code == 0 and "attr-match (measured)" in result.output


def test_report_table_dgcmia_t2_shows_measured_textmask_columns(cli, runs) -> None:
    """Measured textmask records land in seed 004 Table 2 beside IRRA and DGCMIA (ratio from the record)."""
    from harness.reports.build import build_table
    from harness.reports.measured import load_measured

    measured = [m for m in load_measured(runs["out"]) if m.protocol == "textmask"]
    assert sorted({m.mask_ratio for m in measured}) == list(RATIOS)
    table = build_table("dgcmia-t2", measured, allow_nonreportable=True)
    header = [c.header for c in table.columns]
    label = "attr-match (measured)†"  # † marks synthetic data / non-reportable weights
    assert (label, "R1") in header and (label, "mAP") in header
    r1, m_ap = header.index((label, "R1")), header.index((label, "mAP"))
    frame = textmask_frame(runs["out"])
    cuhk = frame[frame["dataset"] == "cuhk-pedes"].set_index(["metric", "ratio"])["value"]
    cells, dataset = {}, ""
    for row in table.rows():
        dataset = row.label[0] or dataset
        if dataset == "CUHK-PEDES":
            cells[row.label[-1]] = (row.cells[r1].text, row.cells[m_ap].text)
    assert sorted(cells) == ["0.1", "0.2", "0.3", "0.4", "0.5"]
    for ratio in (0.1, 0.2, 0.3, 0.4, 0.5):
        expected = (f"{cuhk[('R1', ratio)]:.2f}", f"{cuhk[('mAP', ratio)]:.2f}")
        assert cells[format_ratio(ratio)] == expected, cells
    mine = cuhk["R1"]

    result = cli.invoke(
        app,
        ["report", "--table", "dgcmia-t2", "--with-measured", str(runs["out"]), "--allow-nonreportable"],
    )
    assert result.exit_code == 0, result.output
    assert "attr-match (measured)" in result.output and "no record" not in result.output
    assert f"{mine[0.3]:.2f}" in result.output
    refused = cli.invoke(app, ["report", "--table", "dgcmia-t2", "--with-measured", str(runs["out"])])
    assert refused.exit_code == 2 and "--allow-nonreportable" in refused.output


def test_reports_read_the_ratio_from_the_text_mask_block(runs) -> None:
    from harness.reports.measured import mask_ratio_of

    record = next(o.record for o in runs["textmask"] if label(o.record) == "rstpreid+mask0.4")
    renamed = record.model_copy(
        update={"protocol": record.protocol.model_copy(update={"leg": "rstpreid-v2"})}
    )
    assert record.protocol.leg == "rstpreid"  # the leg is the protocol's; the ratio is a setting
    assert mask_ratio_of(record) == 0.4
    assert mask_ratio_of(renamed) == 0.4  # the typed settings block, never digits of a leg name


def test_run_profile_fills_the_cost_block_of_text_records(
    tiny_world: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--profile`` reaches text legs through the pipeline's ``profile_cost`` (profiling itself is
    tested in tests/profiling and tests/reports/test_complexity.py; replaced here to keep the test fast)."""
    from harness.pipeline import phases

    seen = []
    monkeypatch.setattr(
        phases, "profile_cost", lambda m: seen.append(m.name) or {"method": m.name, "gflops": 1.5}
    )
    options = RunOptions(data_root=tiny_world, out_dir=tmp_path, device="cpu", profile=True)
    (outcome,) = run_protocol("t2i", "attr-match", options, legs=["rstpreid"])
    assert seen == ["attr-match"] and outcome.record.cost.model_dump(exclude_none=True) == {
        "method": "attr-match",
        "gflops": 1.5,
    }
    assert read_record(outcome.path).cost == outcome.record.cost
