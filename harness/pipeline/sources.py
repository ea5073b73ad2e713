"""Query sources: what differs between an image leg and a text leg (everything else is a phase).

A query source reads the leg's eval sets from the dataset, names the images the engine must encode,
encodes its own queries when they are not images (captions, per mask variant and repeat), turns
the pooled features into the trials' scoring sides and contributes its part of the record. It
carries the scorer (:mod:`harness.pipeline.scoring`) its queries need.

* :class:`ImageQuerySource` - image queries: one variant; its trials are the leg's split trials (or
  the plain query/gallery parts), every image of every trial encoded once.
* :class:`CaptionQuerySource` - caption queries (``query_modality: text``): one variant per mask
  ratio (its record's ``settings.text_mask`` when the protocol sweeps ratios); its trials are the ratio's
  maskings (``text.repeats``). Captions are encoded through the engine like images, sharded under
  torchrun, with the mask settings in the cache key (:func:`harness.text.queries.mask_key_fields`).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from harness.errors import ConfigError, ProtocolError
from harness.pipeline.phases import ImagePool, RecordParts, timed
from harness.pipeline.scoring import ImageScorer, Side, TextScorer, TrialScore

if TYPE_CHECKING:
    from harness.data.base import DatasetRead
    from harness.data.manifest import Manifest
    from harness.data.splits.trials import EvalSet
    from harness.engine.encoder import Encoded
    from harness.engine.session import EngineSession
    from harness.pipeline.options import ProgressHook
    from harness.pipeline.phases import Aggregate
    from harness.protocols import EvaluationSpec, LegSpec, ProtocolSpec


@dataclass
class LegData:
    """What the read phase found: the eval sets (trials) and the images to encode, by role."""

    read: DatasetRead
    eval_sets: list[EvalSet]
    images: dict[str, Manifest]
    queries: Any = None
    """Source-specific query data (the caption queries of a text leg)."""
    query_names: list[str] = field(default_factory=list)
    """What each non-image query is (``<image path> (caption j)``), fixed at read time."""


@dataclass
class QueryVariant:
    """One record's queries: the leg itself, or one mask ratio of a caption leg."""

    ratio: float | None = None
    encodings: list[Encoded] = field(default_factory=list)
    timings: dict[str, float | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class Scorer(Protocol):
    """What a query source scores its trials with (:mod:`harness.pipeline.scoring`)."""

    def check(self, evaluation: EvaluationSpec) -> None: ...

    def __call__(self, query: Side, gallery: Side, evaluation: EvaluationSpec) -> TrialScore: ...


class QuerySource(Protocol):
    """The strategy a leg kind supplies to the phases (see the module docstring)."""

    scorer: Scorer

    def check_method(self, method: Any) -> None:
        """Refuse a method that cannot encode these queries (one clear error)."""
        ...

    def prepare(self, read: DatasetRead) -> LegData:
        """The eval sets and the images to encode, from the dataset read (raises ProtocolError)."""
        ...

    def encode_queries(
        self, engine: EngineSession, method: Any, data: LegData, progress: ProgressHook
    ) -> list[QueryVariant]:
        """Encode non-image queries on every rank; one variant per record."""
        ...

    def trials(
        self, data: LegData, pool: ImagePool, variant: QueryVariant, method_name: str
    ) -> Iterator[tuple[Side, Side]]:
        """The (query, gallery) scoring sides of every trial of ``variant`` (rank 0 only)."""
        ...

    def record_parts(
        self, data: LegData, pool: ImagePool, variant: QueryVariant, agg: Aggregate, method_name: str
    ) -> RecordParts:
        """This source's part of the record of ``variant``."""
        ...


def _roles(eval_sets: list[EvalSet], roles: tuple[str, ...], name: str) -> dict[str, Manifest]:
    """Every image any trial uses, once: the query-role images, then the remaining gallery-role ones."""
    from harness.data.manifest import Manifest

    seen: set[str] = set()
    out: dict[str, Manifest] = {}
    for role in roles:
        todo: dict[str, Any] = {}
        for es in eval_sets:
            for item in getattr(es, role):
                if item.path not in seen:
                    todo.setdefault(item.path, item)
        seen.update(todo)
        out[role] = Manifest(todo.values(), name=name)
    return out


class ImageQuerySource:
    """Image queries against an image gallery, over the leg's trials."""

    scorer = ImageScorer()

    def __init__(self, protocol: ProtocolSpec, leg: LegSpec) -> None:
        self.protocol, self.leg = protocol, leg

    def check_method(self, method: Any) -> None:
        """Every method encodes images."""

    def prepare(self, read: DatasetRead) -> LegData:
        """The leg's trials (split set trials, or the plain query/gallery parts)."""
        from harness.protocols.trials import leg_eval_sets

        test = self.leg.test
        evaluation = self.protocol.evaluation_for(self.leg)
        eval_sets = leg_eval_sets(
            read,
            query=test.query,
            gallery=test.gallery,
            splits=test.splits,
            trials=evaluation.trials if test.splits else 1,
        )
        return LegData(read, eval_sets, _roles(eval_sets, ("query", "gallery"), read.manifest.name))

    def encode_queries(
        self, engine: EngineSession, method: Any, data: LegData, progress: ProgressHook
    ) -> list[QueryVariant]:
        """One variant; its queries are images, encoded with the gallery."""
        return [QueryVariant()]

    def trials(
        self, data: LegData, pool: ImagePool, variant: QueryVariant, method_name: str
    ) -> Iterator[tuple[Side, Side]]:
        """The scoring sides of every trial of ``variant``."""
        for es in data.eval_sets:
            yield pool.side(es.query), pool.side(es.gallery)

    def record_parts(
        self, data: LegData, pool: ImagePool, variant: QueryVariant, agg: Aggregate, method_name: str
    ) -> RecordParts:
        """The image leg's part of its record."""
        from harness.results.build import dataset_info

        test, read = self.leg.test, data.read
        notes = []
        if note := _invalid_query_note(agg):
            notes.append(note)
        if pool.skipped:
            notes.append(
                f"{len(pool.skipped)} undecodable images were skipped (--on-bad-image skip); metrics are "
                "over the remaining items, listed in engine.skipped"
            )
        first = data.eval_sets[0]
        wanted = self.protocol.evaluation_for(self.leg).trials
        if test.splits and first.published and len(data.eval_sets) != wanted:
            notes.append(
                f"{len(data.eval_sets)} trial(s) from the user's published splits ({first.source}), "
                f"where the protocol evaluates {wanted}: metrics are the mean over those"
            )
        return RecordParts(
            n_query=len(data.eval_sets[0].query),
            n_gallery=len(data.eval_sets[0].gallery),
            data=dataset_info(
                read,
                captions=read.captions,
                trials=len(data.eval_sets) if test.splits else None,
                splits=test.splits,
                split_source=data.eval_sets[0].source if test.splits else None,
            ),
            notes=notes,
            splits=data.eval_sets[0].published,
        )


def _invalid_query_note(agg: Aggregate) -> str | None:
    """Say how many queries had no gallery match left after the junk rule (worst trial)."""
    worst = max(agg.scores, key=lambda s: s.n_query - s.n_valid_query)
    n_invalid = worst.n_query - worst.n_valid_query
    if n_invalid == 0:
        return None
    trials = f" (in the worst of {len(agg.scores)} trials)" if len(agg.scores) > 1 else ""
    rule = worst.conventions.get("invalid_query", "")
    return f"{n_invalid} of {worst.n_query} queries have no gallery match after the junk rule{trials}" + (
        f": {rule}" if rule else ""
    )


class CaptionQuerySource:
    """Caption queries (optionally masked) against the gallery split's images."""

    def __init__(self, protocol: ProtocolSpec, leg: LegSpec) -> None:
        self.protocol, self.leg, self.text = protocol, leg, protocol.text
        self.scorer = TextScorer(i2t=self.text.i2t)
        self.token: tuple[str | None, str | None, int | None] = (None, None, None)

    def check_method(self, method: Any) -> None:
        """The method must have a text encoder."""
        if not method.has_text:
            raise ConfigError(
                f"protocol {self.protocol.name!r} leg {self.leg.name!r} queries with text, but method "
                f"{method.name!r} has no text encoder (its card lists modalities: "
                + ", ".join(method.card.modalities)
                + ")"
            )

    def prepare(self, read: DatasetRead) -> LegData:
        """The query split's captions and the gallery split's images."""
        from harness.data.splits.trials import EvalSet
        from harness.text.queries import caption_queries

        test = self.leg.test
        query = read.manifest.select(test.query)
        gallery = read.manifest.select(test.gallery)
        queries = caption_queries(query)
        if not queries.captions:
            raise ProtocolError(f"{test.dataset} has no captions in its '{test.query}' split")
        if len(gallery) == 0:
            raise ProtocolError(f"{test.dataset} has no '{test.gallery}' images")
        names = [f"{query[int(i)].path} (caption {j})" for j, i in enumerate(queries.image_index)]
        return LegData(
            read, [EvalSet(query, gallery)], {"gallery": gallery}, queries=queries, query_names=names
        )

    def encode_queries(
        self, engine: EngineSession, method: Any, data: LegData, progress: ProgressHook
    ) -> list[QueryVariant]:
        """Encode the captions of every mask ratio and repeat (every rank; sharded under torchrun)."""
        from harness.text.masking import mask_captions, token_for, token_id_for
        from harness.text.queries import mask_key_fields

        text, captions = self.text, data.queries.captions
        token = None
        if text.sweeps and any(r > 0 for r in text.mask_ratios):
            # the family's mask/unk token needs the built network (and its tokenizer)
            token, source = token_for(method.model, text.strategy)
            self.token = (token, source, token_id_for(method.model, text.strategy))
        variants = []
        for ratio in text.mask_ratios:
            variant = QueryVariant(ratio=ratio)
            encode_s: float | None = 0.0
            for repeat in range(text.repeats if ratio > 0 else 1):
                masked = (
                    captions
                    if ratio == 0
                    else mask_captions(
                        captions,
                        ratio,
                        seed=text.seed,
                        repeat=repeat,
                        strategy=text.strategy,
                        token=token or "",
                    )
                )
                label = f"{self.leg.name}: encode captions" + (
                    f" (mask {ratio:g}, repeat {repeat + 1})" if ratio else ""
                )
                extra = mask_key_fields(ratio, text.strategy, token, text.seed, repeat)
                encoded, wall = timed(
                    method,
                    lambda masked=masked, label=label, extra=extra: engine.encode_texts(
                        method, masked, "query", progress(label, len(masked)), extra=extra
                    ),
                )
                variant.encodings.append(encoded)
                if encoded.status in ("hit", "partial") or encode_s is None:
                    encode_s = None
                else:
                    encode_s += wall
            variant.timings["encode_text"] = encode_s
            if encode_s is None:
                served = sum(e.status == "hit" for e in variant.encodings)
                keys = ", ".join((e.key or "")[:12] for e in variant.encodings)
                variant.notes.append(
                    f"encode_text: {served} of {len(variant.encodings)} caption encodings read from the "
                    f"cache ({keys}); timing not measured"
                )
            variants.append(variant)
        return variants

    def trials(
        self, data: LegData, pool: ImagePool, variant: QueryVariant, method_name: str
    ) -> Iterator[tuple[Side, Side]]:
        """One trial per masking of ``variant``'s captions, against the (decodable) gallery images."""
        from harness.engine.numerics import check_finite

        queries, names = data.queries, data.query_names
        gallery = pool.side(data.eval_sets[0].gallery)
        for encoded in variant.encodings:
            check_finite(encoded.features, names, "caption", method_name)
            yield Side(encoded.features, queries.pids, None, names), gallery

    def record_parts(
        self, data: LegData, pool: ImagePool, variant: QueryVariant, agg: Aggregate, method_name: str
    ) -> RecordParts:
        """One mask variant's part of its record."""
        from harness.results.build import dataset_info
        from harness.results.schema import TextMaskSettings
        from harness.text.queries import MULTI_CAPTION_RULE, query_summary

        text, ratio = self.text, variant.ratio or 0.0
        token, token_source, token_id = self.token
        text_mask = None
        if text.sweeps:
            text_mask = TextMaskSettings(
                ratio=ratio,
                strategy=text.strategy,
                token=token if ratio > 0 else None,
                token_source=token_source if ratio > 0 else None,
                token_id=token_id if ratio > 0 else None,
                repeats=len(variant.encodings),
                seed=text.seed,
            )
        notes = []
        if pool.skipped:
            notes.append(
                f"{len(pool.skipped)} undecodable gallery images were skipped (--on-bad-image skip); metrics "
                "are over the remaining items, listed in engine.skipped"
            )
        after = []
        name = method_name
        if text.sweeps and ratio > 0 and token_source == "default":
            after.append(f"method {name!r} defines no {text.strategy} token; masked words became {token!r}")
        if text.sweeps and ratio > 0 and token_id is not None:
            after.append(
                f"masked words became {token!r}, which the method's tokenizer maps to the single id "
                f"{token_id}, its {text.strategy} token"
            )
        if len(variant.encodings) > 1:
            after.append(
                f"metrics are the mean of {len(variant.encodings)} maskings; metrics_std is their population "
                "std (ddof=0)"
            )
        return RecordParts(
            n_query=len(data.queries.captions),
            n_gallery=len(data.eval_sets[0].gallery),
            data=dataset_info(data.read, n_captions=len(data.queries.captions)),
            conventions={
                "multi_caption": MULTI_CAPTION_RULE,
                "direction": "t2i (query: caption, gallery: image)"
                + ("; i2t_* metrics: the reverse" if text.i2t else ""),
            },
            notes=notes,
            notes_after=after,
            encode={"query": query_summary(variant.encodings)},
            seeds={"text_mask": text.seed},
            text_mask=text_mask,
        )


def query_source(protocol: ProtocolSpec, leg: LegSpec) -> QuerySource:
    """The query source of ``leg`` (by its ``test.query_modality``)."""
    if leg.test.query_modality == "text":
        return CaptionQuerySource(protocol, leg)
    return ImageQuerySource(protocol, leg)
