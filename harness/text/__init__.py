"""Text-to-image retrieval: caption queries and query-text masking.

* :mod:`harness.text.masking`: deterministic word masking of query captions;
* :mod:`harness.text.queries`: caption queries from a manifest and their mask variants (cache-key
  fields); a text leg runs through the one leg pipeline (:mod:`harness.pipeline`) with
  :class:`harness.pipeline.sources.CaptionQuerySource`.

Text results are reported like every other result (``harness.reports``: one record reader, one
table path, one plot per kind); ``harness text report`` is an alias of ``harness report`` and
``harness text complexity`` of ``harness profile --format md`` (the complexity table,
:mod:`harness.reports.complexity`, from :mod:`harness.profiling`).

See ``docs/text-to-image.md``.
"""
