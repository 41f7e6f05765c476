"""Audit gates between environments: declarative gate files (`policies/gates/`), evaluated from
the evidence log and the MLflow registry, each rule explained and the verdict recorded."""
