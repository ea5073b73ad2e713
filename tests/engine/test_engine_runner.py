"""The runner through the engine: cached re-runs, untimed cached phases, numerical and preflight checks."""

from __future__ import annotations

from collections import namedtuple
from pathlib import Path

import pytest

from harness.errors import ConfigError, MetricError
from harness.runner import RunOptions, run_protocol


def _options(tiny_world: Path, tmp_path: Path, **changes) -> RunOptions:
    base = {
        "data_root": tiny_world,
        "out_dir": tmp_path / "out",
        "device": "cpu",
        "cache_dir": tmp_path / "cache",
        "batch_size": 16,
    }
    return RunOptions(**{**base, **changes})


def test_cached_rerun_same_metrics_and_no_timing(tiny_world: Path, tmp_path: Path) -> None:
    first = run_protocol("single", "hsv-hist", _options(tiny_world, tmp_path), legs=["market1501"])[0].record
    assert first.engine.encode["gallery"]["cache"] == "miss"
    assert first.timings_s["encode_gallery"] > 0
    assert first.timings_s["encode_gallery_compute"] >= 0 and first.timings_s["encode_gallery_data_wait"] >= 0
    second = run_protocol(
        "single", "hsv-hist", _options(tiny_world, tmp_path, out_dir=tmp_path / "o2"), legs=["market1501"]
    )[0].record
    assert second.metrics == first.metrics and second.cmc == first.cmc
    for role in ("query", "gallery"):
        assert second.engine.encode[role]["cache"] == "hit"
        assert second.timings_s[f"encode_{role}"] is None
        assert second.timings_s[f"encode_{role}_compute"] is None
        assert any(n.startswith(f"encode_{role}: embeddings read from the cache") for n in second.notes)
    assert second.timings_s["score"] is not None


def test_no_cache_writes_nothing(tiny_world: Path, tmp_path: Path) -> None:
    options = _options(tiny_world, tmp_path, no_cache=True, profile=True)
    record = run_protocol("single", "hsv-hist", options, legs=["market1501"])[0].record
    assert record.engine.encode["query"]["cache"] == "disabled"
    assert record.cost.params["total"] == 0 and record.cost.input_size == [128, 64]
    assert record.engine.settings["cache"] is None
    assert not (tmp_path / "cache").exists()


def test_nan_embeddings_stop_before_scoring(tiny_world: Path, tmp_path: Path, monkeypatch) -> None:
    from harness.models.hsv_hist import StripeHSVHistogram

    original = StripeHSVHistogram.encode_image

    def poisoned(self, images, camids=None):
        out = original(self, images, camids)
        out[0, 3] = float("nan")  # the first image of every batch
        return out

    monkeypatch.setattr(StripeHSVHistogram, "encode_image", poisoned)
    with pytest.raises(MetricError) as info:
        run_protocol("single", "hsv-hist", _options(tiny_world, tmp_path, no_cache=True), legs=["market1501"])
    message = str(info.value)
    assert "2 of 32 query embeddings are not finite (2 with NaN" in message
    assert "0001_c" in message or ".jpg" in message
    assert not (tmp_path / "out" / "hsv-hist").exists()


def test_unwritable_output_fails_before_any_work(tiny_world: Path, tmp_path: Path, monkeypatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    calls = []
    monkeypatch.setattr("harness.methods.load.load_method", lambda *a, **k: calls.append(1))
    with pytest.raises(ConfigError, match=r"output directory .*file/out is not writable"):
        run_protocol(
            "single", "hsv-hist", _options(tiny_world, tmp_path, out_dir=blocker / "out"), legs=["market1501"]
        )
    with pytest.raises(ConfigError, match=r"cache directory .* is not writable"):
        run_protocol(
            "single",
            "hsv-hist",
            _options(tiny_world, tmp_path, cache_dir=blocker / "cache"),
            legs=["market1501"],
        )
    assert calls == []


def test_too_little_disk_fails_before_encoding(tiny_world: Path, tmp_path: Path, monkeypatch) -> None:
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr("harness.engine.preflight.shutil.disk_usage", lambda p: usage(10**9, 10**9, 10**6))
    with pytest.raises(ConfigError, match="not enough free disk for the embedding cache"):
        run_protocol("single", "hsv-hist", _options(tiny_world, tmp_path), legs=["market1501"])
    assert not list((tmp_path / "cache").rglob("chunk-*"))


def test_fully_cached_rerun_never_builds_the_network(tiny_world: Path, tmp_path: Path, monkeypatch) -> None:
    first = run_protocol("single", "hsv-hist", _options(tiny_world, tmp_path), legs=["market1501"])[0].record
    assert first.timings_s["load_method"] is not None

    def refuse(*args, **kwargs):
        raise AssertionError("load_method must not run when every embedding is cached")

    monkeypatch.setattr("harness.methods.load.load_method", refuse)
    again = run_protocol("single", "hsv-hist", _options(tiny_world, tmp_path), legs=["market1501"])[0].record
    assert again.metrics == first.metrics and again.timings_s["load_method"] is None
    assert "load_method: the network was not built, every embedding came from the cache" in again.notes
    assert again.method.model_dump() == first.method.model_dump()


def test_random_init_embeddings_are_keyed_by_seed(hsv, market) -> None:
    import torch

    from harness.engine.encoder import make_key
    from harness.methods.adapter import MethodAdapter, WeightsInfo

    query = market.select("query")
    method = MethodAdapter(
        hsv.card, hsv.model, variant=None, weights=WeightsInfo(kind="random-init"), device=hsv.device
    )
    torch.manual_seed(0)
    a = make_key(method, query.paths, query.camids.tolist(), role="query", tta="none")
    torch.manual_seed(1)
    b = make_key(method, query.paths, query.camids.tolist(), role="query", tta="none")
    assert a.digest != b.digest and a.extra["random_init"]["torch_seed"] == 0


def test_bad_option_values_fail_before_work(cli, tiny_world: Path, tmp_path: Path) -> None:
    from harness.cli.app import app

    args = [
        "run",
        "-p",
        "single",
        "-m",
        "hsv-hist",
        "--leg",
        "market1501",
        "--data-root",
        str(tiny_world),
        "--out",
        str(tmp_path / "o"),
        "--cache-dir",
        str(tmp_path / "c"),
        "--no-progress",
    ]
    result = cli.invoke(app, [*args, "--on-bad-image", "ignore"])
    assert result.exit_code == 2 and "--on-bad-image must be 'error' or 'skip'" in result.output
    assert not (tmp_path / "c").exists()
    result = cli.invoke(app, [*args, "--flip", "--cache-chunk-rows", "16"])
    assert result.exit_code == 0, result.output
    record = (tmp_path / "o" / "hsv-hist" / "single" / "market1501+flip.json").read_text()  # its own identity
    assert '"tta": "flip"' in record


def test_torchrun_without_cache_is_refused(tmp_path: Path) -> None:
    from harness.engine.distributed import DistContext
    from harness.engine.session import EngineSession, EngineSettings

    with pytest.raises(ConfigError, match="needs the embedding cache"):
        EngineSession.open(EngineSettings(no_cache=True), DistContext(rank=0, world_size=2, local_rank=0))
