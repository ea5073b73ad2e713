"""Text-to-image retrieval: caption queries, query-text masking, the text runner and its reports.

* :mod:`harness.text.masking`: deterministic word masking of query captions;
* :mod:`harness.text.evaluate`: caption queries from a manifest, batched text encoding, t2i/i2t scoring;
* :mod:`harness.text.run`: one text-query protocol leg (called by :func:`harness.runner.run_protocol`);
* :mod:`harness.text.report`: the text-mask robustness table and plot, the cross-dataset table.

See ``docs/text-to-image.md``.
"""
