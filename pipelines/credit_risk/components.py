"""The KFP v2 components: each a lightweight Python component on the pinned pipeline image,
whose body imports the package baked into that image and calls `tasks.<step>`.

The image already holds kfp and every dependency (`images/Dockerfile`, target pipeline), so
nothing is installed at run time (`install_kfp_package=False`), and the same components run in
this process environment under `kfp.local.SubprocessRunner(use_venv=False)`.

A component with several outputs declares them as an inline `NamedTuple(...)` return type, the
form KFP reads (its source runs in the container, where a module-level class is not defined);
type checkers refuse a call in a type expression, hence the file-level setting below.
"""
# pyright: reportInvalidTypeForm=false

from collections.abc import Callable
from typing import NamedTuple

from kfp.dsl import Dataset, Input, Metrics, Model, Output
from kfp.dsl.component_factory import create_component_from_func
from kfp.dsl.python_component import PythonComponent

# Pinned: a release tag built from images/Dockerfile (target pipeline); override with
# `mlops pipeline compile --image REF@sha256:...` to pin the digest your registry reports.
IMAGE = "ghcr.io/mlops-platform/credit-risk-pipeline-python:0.1.0"


def component(func: Callable[..., object]) -> PythonComponent:
    """`dsl.component` on the pinned image, typed: kfp leaves its decorator untyped, so a type
    checker would take each component for the plain function and refuse the pipeline's
    placeholders."""
    return create_component_from_func(func, base_image=IMAGE, install_kfp_package=False)


@component
def ingest_op(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    source: str,
    run: str,
    raw: Output[Dataset],
) -> NamedTuple("IngestOutputs", [("ids", str), ("data_ref", str), ("evidence", str)]):
    from collections import namedtuple

    from pipelines.credit_risk import tasks

    ids, data_ref, evidence = tasks.ingest(mode, tracking_uri, audit_url, source, run, raw.path)
    return namedtuple("IngestOutputs", ["ids", "data_ref", "evidence"])(ids, data_ref, evidence)


@component
def validate_op(mode: str, tracking_uri: str, audit_url: str, ids: str, raw: Input[Dataset]) -> str:
    from pipelines.credit_risk import tasks

    return tasks.validate(mode, tracking_uri, audit_url, ids, raw.path)


@component
def features_op(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    raw: Input[Dataset],
    prepared: Output[Dataset],
) -> str:
    from pipelines.credit_risk import tasks

    return tasks.features(mode, tracking_uri, audit_url, ids, raw.path, prepared.path)


@component
def split_op(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    prepared: Input[Dataset],
    train: Output[Dataset],
    validation: Output[Dataset],
    test: Output[Dataset],
) -> str:
    from pipelines.credit_risk import tasks

    return tasks.split(
        mode, tracking_uri, audit_url, ids, prepared.path, train.path, validation.path, test.path
    )


@component
def tune_op(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    train: Input[Dataset],
    validation: Input[Dataset],
) -> NamedTuple("TuneOutputs", [("params", str), ("evidence", str)]):
    from collections import namedtuple

    from pipelines.credit_risk import tasks

    params, evidence = tasks.tune(mode, tracking_uri, audit_url, ids, train.path, validation.path)
    return namedtuple("TuneOutputs", ["params", "evidence"])(params, evidence)


@component
def train_op(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    params: str,
    train: Input[Dataset],
    validation: Input[Dataset],
    model: Output[Model],
) -> str:
    from pipelines.credit_risk import tasks

    return tasks.train(
        mode, tracking_uri, audit_url, ids, train.path, validation.path, params, model.path
    )


@component
def evaluate_op(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    model: Input[Model],
    train: Input[Dataset],
    validation: Input[Dataset],
    test: Input[Dataset],
    metrics: Output[Metrics],
) -> NamedTuple("EvaluateOutputs", [("evaluation", str), ("fairness", str), ("evidence", str)]):
    import json
    from collections import namedtuple

    from pipelines.credit_risk import tasks

    evaluation, fairness, evidence = tasks.evaluate(
        mode, tracking_uri, audit_url, ids, model.path, train.path, validation.path, test.path
    )
    for name, value in json.loads(evaluation)["candidate"].items():
        if isinstance(value, float):
            metrics.log_metric(f"test.{name}", value)
    fair = json.loads(fairness)
    for name in ("demographic_parity_difference", "equalized_odds_difference"):
        metrics.log_metric(f"fairness.{name}", fair[name])
    return namedtuple("EvaluateOutputs", ["evaluation", "fairness", "evidence"])(
        evaluation, fairness, evidence
    )


@component
def register_op(
    mode: str,
    tracking_uri: str,
    audit_url: str,
    ids: str,
    params: str,
    data_ref: str,
    evaluation: str,
    fairness: str,
    ingest_evidence: str,
    validate_evidence: str,
    features_evidence: str,
    split_evidence: str,
    tune_evidence: str,
    train_evidence: str,
    evaluate_evidence: str,
    model: Input[Model],
    train: Input[Dataset],
) -> NamedTuple("RegisterOutputs", [("version", str), ("candidate", bool)]):
    from collections import namedtuple

    from pipelines.credit_risk import tasks

    version, candidate = tasks.gate_and_register(
        mode,
        tracking_uri,
        audit_url,
        ids,
        model.path,
        train.path,
        params,
        data_ref,
        evaluation,
        fairness,
        [
            ingest_evidence,
            validate_evidence,
            features_evidence,
            split_evidence,
            tune_evidence,
            train_evidence,
            evaluate_evidence,
        ],
    )
    return namedtuple("RegisterOutputs", ["version", "candidate"])(version, candidate)
