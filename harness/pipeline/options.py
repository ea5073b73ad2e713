"""Run-level types shared by every phase of the leg pipeline and by its callers (CLI, Python API)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness.engine.session import EngineSettings
    from harness.methods.open import MethodSettings
    from harness.results.schema import ResultRecord


@dataclass
class RunOptions:
    """Settings of one ``harness run`` (the CLI's options, one field each)."""

    data_root: Path
    out_dir: Path
    device: str | None = None
    batch_size: int = 64
    num_workers: int = 0
    weights: list[str] = field(default_factory=list)
    weights_dir: Path | None = None
    random_init: bool = False
    trust_checkpoint: bool = False
    variant: str | None = None
    dtype: str | None = None
    strict: bool = False
    cache_dir: Path | None = None
    no_cache: bool = False
    verify_content: bool = False
    flip: bool = False
    compile: bool = False
    channels_last: bool = False
    on_bad_image: str = "error"
    cache_chunk_rows: int = 4096
    profile: bool = False
    convention: str = "method"
    """Scoring convention (:mod:`harness.methods.convention`): ``method`` (the card's own distance
    and feature normalisation) or ``common`` (the protocol's, the same for every method)."""
    rerank: dict | None = None
    """``--rerank``: k-reciprocal parameters (``{}``: the defaults), or None for the protocol's setting."""
    aqe: dict | None = None
    """``--aqe``: average query expansion parameters (``{}``: the defaults), or None for the protocol's."""

    def engine_settings(self) -> EngineSettings:
        """The engine's share of these options (:class:`harness.engine.session.EngineSettings`)."""
        from harness.engine.extract import ExtractSettings
        from harness.engine.session import EngineSettings

        extract = ExtractSettings(
            batch_size=self.batch_size,
            num_workers=self.num_workers,
            flip=self.flip,
            channels_last=self.channels_last,
            compile=self.compile,
            on_bad_image=self.on_bad_image,  # type: ignore[arg-type]
        )
        return EngineSettings(
            extract=extract,
            cache_dir=self.cache_dir,
            no_cache=self.no_cache,
            verify_content=self.verify_content,
            cache_chunk_rows=self.cache_chunk_rows,
        )

    def method_settings(self) -> MethodSettings:
        """How every leg opens the method (:class:`harness.methods.open.MethodSettings`)."""
        from harness.methods.open import MethodSettings

        return MethodSettings(
            variant=self.variant,
            device=self.device,
            random_init=self.random_init,
            trust_checkpoint=self.trust_checkpoint,
            dtype=self.dtype,
        )


@dataclass
class LegOutcome:
    """One written result record and its path."""

    record: ResultRecord
    path: Path


ProgressHook = Callable[[str, int], Callable[[int], None]]
"""``hook(description, total)`` returns an ``advance(n)`` callback (the CLI draws rich bars)."""


def no_progress(description: str, total: int) -> Callable[[int], None]:
    """The silent :data:`ProgressHook`."""
    return lambda n: None
