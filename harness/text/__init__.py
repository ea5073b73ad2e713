"""Text-to-image retrieval: caption queries, query-text masking and the complexity table.

* :mod:`harness.text.masking`: deterministic word masking of query captions;
* :mod:`harness.text.queries`: caption queries from a manifest and their mask variants (cache-key
  fields); a text leg runs through the one leg pipeline (:mod:`harness.pipeline`) with
  :class:`harness.pipeline.sources.CaptionQuerySource`;
* :mod:`harness.text.complexity`: seed 004 Table 3 (params, FLOPs, test-set time) from the profiler.

Text results are reported like every other result (``harness.reports``: one record reader, one
table path, one plot per kind); ``harness text report`` is an alias of ``harness report``.

See ``docs/text-to-image.md``.
"""
