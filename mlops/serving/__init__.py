"""Serving runtime (Zwiesler 2.3, 2.4): the KServe predictor for MLflow models, request logging,
shadow mirroring, batch scoring and load tests."""
