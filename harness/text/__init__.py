"""Text-to-image retrieval: caption queries, query-text masking and the text reports.

* :mod:`harness.text.masking`: deterministic word masking of query captions;
* :mod:`harness.text.queries`: caption queries from a manifest and their mask variants (leg names,
  cache-key fields); a text leg runs through the one leg pipeline (:mod:`harness.pipeline`) with
  :class:`harness.pipeline.sources.CaptionQuerySource`;
* :mod:`harness.text.report`: the text-mask robustness table and plot, the cross-dataset table.

See ``docs/text-to-image.md``.
"""
