"""The KFP v2 pipeline: the components of `components.py` in the order of `local.py`.

`build(image, gpus)` returns the pipeline function; `compile_pipeline` writes its IR YAML. With
GPUs (`training.gpus` in `config.yaml`, 0 for the sample model) the training task requests them,
tolerates the GPU taint and is pinned to the training GPU pool; every other task stays on CPU
nodes. Caching is off: each run must produce its own evidence.
"""

from pathlib import Path
from typing import cast

from kfp import compiler, dsl, kubernetes
from kfp.dsl.graph_component import GraphComponent

from mlops.config import environment as settings
from pipelines.credit_risk import components as c
from pipelines.credit_risk.config import load_config

PIPELINE_NAME = "credit-risk-training"
GPU_RESOURCE = "nvidia.com/gpu"
GPU_POOL_LABEL = ("mlops.platform/pool", "training-gpu")
AUDIT_TOKEN_SECRET = "mlops-audit-token"  # Secret with key `token`, role auditee


def request_gpu(task: dsl.PipelineTask, count: int) -> dsl.PipelineTask:
    """`count` GPUs, the taint toleration and the node selector of the training GPU pool."""
    task.set_accelerator_type(GPU_RESOURCE).set_accelerator_limit(count)
    kubernetes.add_toleration(task, key=GPU_RESOURCE, operator="Exists", effect="NoSchedule")
    kubernetes.add_node_selector(task, *GPU_POOL_LABEL)
    return task


def _common(task: dsl.PipelineTask, image: str) -> dsl.PipelineTask:
    task.set_caching_options(False)
    task.set_container_image(image)
    kubernetes.use_secret_as_env(
        task, secret_name=AUDIT_TOKEN_SECRET, secret_key_to_env={"token": settings.AUDIT_TOKEN.name}
    )
    return task


def build(image: str = c.IMAGE, gpus: int = 0) -> GraphComponent:
    """The pipeline function for `image`; the training task requests `gpus` GPUs (0: CPU)."""

    @dsl.pipeline(
        name=PIPELINE_NAME,
        description="Credit-risk training: validated data, tuned model, evaluation against "
        "champion and linear baseline, fairness, registration with the handover artifact.",
    )
    def credit_risk_training(
        mode: str = "int",
        tracking_uri: str = "http://mlflow.mlflow.svc.cluster.local:5000",
        audit_url: str = "http://governance.governance.svc.cluster.local:8080",
        source: str = "",
    ) -> None:
        common = {"mode": mode, "tracking_uri": tracking_uri, "audit_url": audit_url}
        ingest = _common(
            c.ingest_op(**common, source=source, run=dsl.PIPELINE_JOB_NAME_PLACEHOLDER), image
        )
        ids = ingest.outputs["ids"]
        raw = ingest.outputs["raw"]
        validate = _common(c.validate_op(**common, ids=ids, raw=raw), image)
        features = _common(c.features_op(**common, ids=ids, raw=raw), image).after(validate)
        split = _common(c.split_op(**common, ids=ids, prepared=features.outputs["prepared"]), image)
        parts = {k: split.outputs[k] for k in ("train", "validation")}
        tune = _common(c.tune_op(**common, ids=ids, **parts), image)
        train = c.train_op(**common, ids=ids, params=tune.outputs["params"], **parts)
        _common(train, image).set_cpu_request("2").set_memory_request("4Gi")
        if gpus:
            request_gpu(train, gpus)
        evaluate = _common(
            c.evaluate_op(
                **common,
                ids=ids,
                model=train.outputs["model"],
                test=split.outputs["test"],
                **parts,
            ),
            image,
        )
        _common(
            c.register_op(
                **common,
                ids=ids,
                params=tune.outputs["params"],
                data_ref=ingest.outputs["data_ref"],
                evaluation=evaluate.outputs["evaluation"],
                fairness=evaluate.outputs["fairness"],
                ingest_evidence=ingest.outputs["evidence"],
                validate_evidence=validate.output,
                features_evidence=features.outputs["Output"],
                split_evidence=split.outputs["Output"],
                tune_evidence=tune.outputs["evidence"],
                train_evidence=train.outputs["Output"],
                evaluate_evidence=evaluate.outputs["evidence"],
                model=train.outputs["model"],
                train=split.outputs["train"],
            ),
            image,
        )

    # kfp annotates its decorator's result as a bare Callable; it is the pipeline's GraphComponent
    return cast(GraphComponent, credit_risk_training)


def compile_pipeline(out: Path, image: str = c.IMAGE, gpus: int | None = None) -> Path:
    """Write the pipeline's IR YAML to `out` (deterministic for the same code and arguments);
    the training task's GPUs come from the pipeline configuration unless `gpus` overrides."""
    if gpus is None:
        gpus = load_config().training.gpus
    out.parent.mkdir(parents=True, exist_ok=True)
    compiler.Compiler().compile(build(image, gpus), package_path=str(out))
    return out
