"""The CABC mapper (IML4E 4.4): live measurements of the serving plane (Prometheus or the
predictors' own metrics endpoints), drift of the request log against the training reference,
and delayed ground truth, carried into the evidence log so certificates are re-tested."""
