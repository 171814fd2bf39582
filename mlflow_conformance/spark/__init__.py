"""The Spark suites' engine: each module collects evidence on a live Spark session (the
functions taking ``spark``) and judges it in pure functions (``judge_*``) over plain dicts,
so the judgements are tested on recorded evidence as well as on a real session."""
