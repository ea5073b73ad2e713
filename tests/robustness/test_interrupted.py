"""Issue 9, items 5 and 6: interrupted and concurrent runs.

Real processes are in ``tests/engine/test_engine_processes.py``:
``test_interrupted_run_resumes_from_the_cache`` (SIGINT and SIGKILL during extraction, a partial chunk
file left under a final name, resume computing only the missing chunks, identical metrics) and
``test_two_concurrent_runs_share_cache_and_output`` (two ``harness run`` processes, one cache and one
output folder). This file adds what the CLI says on Ctrl-C, in process: the message, exit status 130,
no record for the unfinished leg, and a resume from the chunks that were written.
"""

from __future__ import annotations

from pathlib import Path

from tests.robustness._support import record, run

CHUNK_ROWS = ("--cache-chunk-rows", "8")  # tiny Market: 32 queries + 94 gallery images -> 4 + 12 chunks


def test_ctrl_c_keeps_finished_chunks_and_the_rerun_resumes(
    tiny_world: Path, tmp_path: Path, cli, monkeypatch
) -> None:
    from harness.models.hsv_hist import StripeHSVHistogram

    reference = run(cli, tiny_world, tmp_path / "ref", "--no-cache")
    assert reference.exit_code == 0, reference.output
    original = StripeHSVHistogram.encode_image
    calls = []

    def interrupted(self, images, camids=None):
        calls.append(len(images))
        if len(calls) == 9:  # the size probe, 4 query batches, 3 gallery batches: Ctrl-C in the gallery
            raise KeyboardInterrupt
        return original(self, images, camids)

    monkeypatch.setattr(StripeHSVHistogram, "encode_image", interrupted)
    result = run(cli, tiny_world, tmp_path / "out", "--batch-size", "8", *CHUNK_ROWS)
    assert result.exit_code == 130
    flat = " ".join(result.output.split())
    assert "interrupted: no result was written" in flat and "run the same command again to resume" in flat
    assert not (tmp_path / "out" / "hsv-hist").exists()
    written = list((tmp_path / "cache").rglob("chunk-*.safetensors"))
    assert len(written) == 4 + 3

    monkeypatch.setattr(StripeHSVHistogram, "encode_image", original)
    resumed = run(cli, tiny_world, tmp_path / "out", "--batch-size", "8", *CHUNK_ROWS)
    assert resumed.exit_code == 0, resumed.output
    rec = record(tmp_path / "out", "hsv-hist", "single", "market1501")
    encode = rec["engine"]["encode"]
    assert sum(encode[role]["chunks_computed"] for role in ("query", "gallery")) == 16 - len(written)
    ref = record(tmp_path / "ref", "hsv-hist", "single", "market1501")
    assert rec["metrics"] == ref["metrics"] and rec["cmc"] == ref["cmc"]
