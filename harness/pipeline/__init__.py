"""The leg pipeline behind ``harness run``: one method x one protocol leg -> one result record.

A leg is a query source (images, or captions with an optional mask variant) x a gallery x trials,
encoded through the engine, scored and written as one record per variant. The phases exist once:

* :mod:`harness.pipeline.options` - the run's settings (:class:`RunOptions`), outcomes, progress hook.
* :mod:`harness.pipeline.phases` - open the method, read the data, timed encode, aggregate trials,
  build the record: one function per phase, shared by every kind of leg.
* :mod:`harness.pipeline.sources` - the query sources (:class:`ImageQueries`, :class:`CaptionQueries`):
  what differs between an image leg and a text leg.
* :mod:`harness.pipeline.scoring` - the scoring seam: encoded query/gallery sides + evaluation
  settings -> :class:`TrialScore`.
The orchestration (:func:`harness.runner.run_protocol`, :func:`harness.runner.run_leg`) sits above.
"""
