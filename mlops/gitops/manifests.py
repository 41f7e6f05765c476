"""The Kubernetes objects one model release becomes, per deployment strategy.

Every release gets, per InferenceService, a metrics Service and a PodDisruptionBudget, and per
model a ServiceMonitor, a PrometheusRule and a NetworkPolicy. The strategies add:
- direct: one InferenceService, replaced in place (KServe rolls the pods).
- canary: one InferenceService with `canaryTrafficPercent`; KServe keeps the last rolled-out
  revision for the rest of the traffic (Serverless mode only).
- shadow: the incumbent keeps serving as `<model>`; the release runs as `<model>-shadow`,
  cluster-local, and the incumbent's predictor is told where to mirror requests (KServe has no
  native shadow field; the predictor does the mirroring and discards the shadow's answers).
- blue-green: `<model>-blue` and `<model>-green` both run; the Service `<model>` is the switch
  that selects the pods of the active colour.
"""

from dataclasses import dataclass, replace
from typing import Any

from mlops.config import environment as settings
from mlops.config.namespaces import MODEL_READER_ACCOUNT
from mlops.errors import BadInputError
from mlops.gitops.descriptor import ModelRelease
from mlops.gitops.environment import Environment
from mlops.gitops.runtimes import RUNTIMES
from mlops.manifests.schema import validation_errors
from mlops.serving.batch_job import STORAGE_INITIALIZER, scoring_cronjob
from mlops.serving.runtime import model_env

GPU_RESOURCE = "nvidia.com/gpu"
LABEL = "mlops.platform"
MODEL_LABEL = f"{LABEL}/model"
ROLE_LABEL = f"{LABEL}/role"
VERSION_LABEL = f"{LABEL}/version"
METRICS_LABEL = f"{LABEL}/metrics"
CONSUMER_LABEL = f"{LABEL}/model-consumer"  # on a namespace: its pods may call models directly

# Every kind the renderer can produce; the AppProject allows exactly these (see bootstrap).
RENDERED_KINDS: tuple[tuple[str, str], ...] = (
    ("", "PersistentVolumeClaim"),
    ("", "Service"),
    ("batch", "CronJob"),
    ("monitoring.coreos.com", "PrometheusRule"),
    ("monitoring.coreos.com", "ServiceMonitor"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("policy", "PodDisruptionBudget"),
    ("serving.kserve.io", "InferenceService"),
)


@dataclass(frozen=True)
class Served:
    """One InferenceService of a release: which model version it serves, in which role."""

    name: str
    role: str
    version: int
    storage_uri: str
    digest: str
    is_release: bool


def served_by(release: ModelRelease) -> list[Served]:
    """The InferenceServices the strategy needs, in a fixed order."""
    new = Served(
        release.model,
        "primary",
        release.registry_version,
        release.storage_uri,
        release.model_digest,
        is_release=True,
    )
    if release.strategy in ("direct", "canary"):
        return [new]
    old = Served(
        release.model,
        "primary",
        release.incumbent_version or 0,
        release.incumbent_storage_uri or "",
        release.incumbent_model_digest or "",
        is_release=False,
    )
    if release.strategy == "shadow":
        return [old, replace(new, name=f"{release.model}-shadow", role="shadow")]
    colors = {release.release_color: new, _other(release.release_color): old}
    return [
        replace(colors[color], name=f"{release.model}-{color}", role=color)
        for color in ("blue", "green")
    ]


def check_against_environment(release: ModelRelease, env: Environment, source: str) -> None:
    """Refuse settings the environment's KServe mode cannot honour, naming the stack value."""
    mode, why = env.mode, f"{env.stack_path} sets serving.deployment_mode {env.deployment_mode}"
    if release.strategy == "canary" and not mode.canary:
        raise BadInputError(
            f"{source}: strategy: canary needs KServe Serverless mode ({why}); "
            "allowed here: direct, shadow, blue-green"
        )
    if release.scale_metric not in mode.scale_metrics:
        raise BadInputError(
            f"{source}: scale_metric: '{release.scale_metric}' is not supported ({why}); "
            f"allowed: {', '.join(mode.scale_metrics)}"
        )
    if release.min_replicas == 0 and not mode.scale_to_zero:
        raise BadInputError(f"{source}: min_replicas: 0 needs scale to zero ({why}); allowed: 1+")
    if release.min_replicas == 0 and release.strategy == "blue-green":
        raise BadInputError(
            f"{source}: min_replicas: 0 leaves the blue-green switch without pods; allowed: 1+"
        )
    if release.gpu and not env.gpu_node_labels:
        raise BadInputError(
            f"{source}: gpu: {env.stack_path} gives node_pools.inference_gpu no labels to "
            "select GPU nodes by"
        )


def gpu_demand(release: ModelRelease) -> int:
    """GPUs the release may hold at full scale (every InferenceService at max_replicas)."""
    return release.gpu * release.max_replicas * len(served_by(release))


def render_release(release: ModelRelease, env: Environment, source: str) -> list[dict[str, Any]]:
    """Every object of one release, schema-validated, sorted by kind and name."""
    check_against_environment(release, env, source)
    served = served_by(release)
    objects: list[dict[str, Any]] = []
    for item in served:
        objects.append(_inference_service(release, env, item, served))
        objects.append(_metrics_service(release, env, item))
        objects.append(_disruption_budget(release, env, item))
    objects.append(_service_monitor(release, env))
    objects.append(_prometheus_rule(release, env))
    objects.append(_network_policy(release, env))
    if release.strategy == "blue-green":
        objects.append(_switch(release, env))
    if release.batch_schedule and release.batch_claim and release.batch_input:
        objects.append(_batch_claim(release, env, release.batch_claim))
        objects.append(
            scoring_cronjob(
                release,
                namespace=env.namespace,
                environment=env.name,
                image=env.predictor_image,
                schedule=release.batch_schedule,
                data_claim=release.batch_claim,
                input_path=release.batch_input,
                service_account=MODEL_READER_ACCOUNT,
                storage_initializer=f"{env.image_registry}/{STORAGE_INITIALIZER}",
                store=env.store,
            )
        )
    problems = [problem for obj in objects for problem in validation_errors(obj)]
    if problems:
        raise BadInputError(f"{source}: renders invalid objects: " + "; ".join(problems))
    return sorted(objects, key=lambda obj: (obj["kind"], obj["metadata"]["name"]))


def _canary_shares(release: ModelRelease) -> str:
    """Which versions take which share, as the descriptor says and KServe splits it: the canary
    gets `canaryTrafficPercent`, the last fully rolled-out revision (the incumbent) the rest."""
    share = release.canary_traffic_percent or 0
    shares = f"v{release.registry_version}={share}%"
    if share < 100 and release.incumbent_version is not None:
        shares += f",v{release.incumbent_version}={100 - share}%"
    return shares


def _other(color: str | None) -> str:
    return "green" if color == "blue" else "blue"


def _metadata(
    release: ModelRelease,
    env: Environment,
    name: str,
    labels: dict[str, str] | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    all_labels = {
        "app.kubernetes.io/name": release.model,
        "app.kubernetes.io/part-of": "mlops-platform",
        "app.kubernetes.io/managed-by": "mlops-render",
        MODEL_LABEL: release.model,
        f"{LABEL}/environment": env.name,
    }
    all_labels.update(labels or {})
    metadata: dict[str, Any] = {"name": name, "namespace": env.namespace, "labels": all_labels}
    if annotations:
        metadata["annotations"] = annotations
    return metadata


def _pod_labels(release: ModelRelease, item: Served) -> dict[str, str]:
    return {MODEL_LABEL: release.model, ROLE_LABEL: item.role, VERSION_LABEL: str(item.version)}


def _predictor_url(name: str, env: Environment) -> str:
    return f"http://{name}-predictor.{env.namespace}.svc.cluster.local"


def _inference_service(
    release: ModelRelease, env: Environment, item: Served, served: list[Served]
) -> dict[str, Any]:
    annotations = {
        "serving.kserve.io/deploymentMode": env.deployment_mode,
        f"{LABEL}/registry-model": release.registry_model,
        f"{LABEL}/registry-version": str(item.version),
        f"{LABEL}/model-digest": item.digest,
    }
    if item.is_release:
        annotations |= {
            f"{LABEL}/code-commit": release.code_commit,
            f"{LABEL}/data-digest": release.data_digest,
            f"{LABEL}/environment-digest": release.environment_digest,
            f"{LABEL}/gate-report": release.gate_report,
            f"{LABEL}/model-card": release.model_card,
        }
    else:
        provenance = {
            f"{LABEL}/code-commit": release.incumbent_code_commit,
            f"{LABEL}/gate-report": release.incumbent_gate_report,
        }
        annotations |= {key: value for key, value in provenance.items() if value is not None}
    labels = {ROLE_LABEL: item.role}
    if release.strategy == "canary":
        annotations["serving.kserve.io/enable-tag-routing"] = "true"
        annotations[f"{LABEL}/traffic"] = _canary_shares(release)
    if item.role == "shadow":
        labels["networking.kserve.io/visibility"] = "cluster-local"
    env_vars = [
        {"name": name, "value": value}
        for name, value in model_env(
            release.model, str(item.version), item.digest, env.name
        ).items()
    ]
    shadows = [other for other in served if other.role == "shadow"]
    if shadows and item.role == "primary":
        annotations[f"{LABEL}/shadow-target"] = shadows[0].name
        env_vars += [
            {
                "name": settings.SHADOW_PERCENT.name,
                "value": str(release.shadow_mirror_percent or 100),
            },
            {"name": settings.SHADOW_URL.name, "value": _predictor_url(shadows[0].name, env)},
        ]
    limits: dict[str, str] = {"cpu": release.cpu_limit, "memory": release.memory_limit}
    predictor: dict[str, Any] = {
        "labels": _pod_labels(release, item),
        "serviceAccountName": MODEL_READER_ACCOUNT,
        "minReplicas": release.min_replicas,
        "maxReplicas": release.max_replicas,
        "scaleMetric": release.scale_metric,
        "scaleTarget": release.scale_target,
        "model": {
            "modelFormat": {"name": release.model_format},
            "runtime": release.runtime,
            "protocolVersion": release.protocol,
            "storageUri": item.storage_uri,
            "env": env_vars,
            "resources": {
                "requests": {"cpu": release.cpu_request, "memory": release.memory_request},
                "limits": limits,
            },
        },
    }
    if release.gpu:
        limits[GPU_RESOURCE] = str(release.gpu)
        predictor["nodeSelector"] = dict(env.gpu_node_labels)
        predictor["tolerations"] = [
            {"key": taint.key, "operator": "Exists", "effect": taint.effect}
            for taint in env.gpu_taints
        ]
    if release.strategy == "canary":
        predictor["canaryTrafficPercent"] = release.canary_traffic_percent
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": _metadata(release, env, item.name, labels=labels, annotations=annotations),
        "spec": {"predictor": predictor},
    }


def _metrics_service(release: ModelRelease, env: Environment, item: Served) -> dict[str, Any]:
    port = RUNTIMES[release.runtime].metrics_port
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(
            release,
            env,
            f"{item.name}-metrics",
            labels={ROLE_LABEL: item.role, METRICS_LABEL: "true"},
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": {MODEL_LABEL: release.model, ROLE_LABEL: item.role},
            "ports": [{"name": "metrics", "port": port, "targetPort": port, "protocol": "TCP"}],
        },
    }


def _disruption_budget(release: ModelRelease, env: Environment, item: Served) -> dict[str, Any]:
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _metadata(release, env, item.name, labels={ROLE_LABEL: item.role}),
        "spec": {
            "maxUnavailable": release.max_unavailable,
            "selector": {"matchLabels": {MODEL_LABEL: release.model, ROLE_LABEL: item.role}},
        },
    }


def _service_monitor(release: ModelRelease, env: Environment) -> dict[str, Any]:
    runtime = RUNTIMES[release.runtime]
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": _metadata(release, env, release.model),
        "spec": {
            "selector": {"matchLabels": {MODEL_LABEL: release.model, METRICS_LABEL: "true"}},
            "namespaceSelector": {"matchNames": [env.namespace]},
            "endpoints": [{"port": "metrics", "path": runtime.metrics_path, "interval": "30s"}],
            "targetLabels": [MODEL_LABEL],
            "podTargetLabels": [ROLE_LABEL, VERSION_LABEL],
        },
    }


def _prom_label(label: str) -> str:
    """How Prometheus spells a Kubernetes label it copied onto a metric."""
    return "".join(char if char.isalnum() else "_" for char in label)


def _prometheus_rule(release: ModelRelease, env: Environment) -> dict[str, Any]:
    runtime = RUNTIMES[release.runtime]
    selector = f'namespace="{env.namespace}",{_prom_label(MODEL_LABEL)}="{release.model}"'
    by = f"{_prom_label(ROLE_LABEL)}, {_prom_label(VERSION_LABEL)}"
    requests = f"rate({runtime.requests_total}{{{selector}}}[5m])"
    errors = f'rate({runtime.requests_total}{{{selector},status_code=~"5.."}}[5m])'
    latency = (
        f"histogram_quantile(0.95, sum by (le, {by}) "
        f"(rate({runtime.request_duration_bucket}{{{selector}}}[5m])))"
    )
    labels = {"model": release.model, "environment": env.name}
    rules: list[dict[str, Any]] = [
        {
            "alert": "ModelErrorRateHigh",
            "expr": f"100 * sum by ({by}) ({errors}) / sum by ({by}) ({requests}) "
            f"> {release.error_rate_percent:g}",
            "for": "10m",
            "labels": {**labels, "severity": "critical"},
            "annotations": {
                "summary": f"{release.model}: more than {release.error_rate_percent:g}% "
                "of requests fail",
            },
        },
        {
            "alert": "ModelLatencyP95High",
            "expr": f"{latency} > {release.latency_p95_seconds:g}",
            "for": "10m",
            "labels": {**labels, "severity": "warning"},
            "annotations": {
                "summary": f"{release.model}: p95 latency above {release.latency_p95_seconds:g}s",
            },
        },
    ]
    if release.min_replicas > 0:
        rules.append(
            {
                "alert": "ModelTargetsDown",
                "expr": f"(sum(up{{{selector}}}) or vector(0)) == 0",
                "for": "5m",
                "labels": {**labels, "severity": "critical"},
                "annotations": {"summary": f"{release.model}: no metrics target is up"},
            }
        )
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _metadata(release, env, release.model),
        "spec": {"groups": [{"name": f"model-{release.model}", "rules": rules}]},
    }


def _network_policy(release: ModelRelease, env: Environment) -> dict[str, Any]:
    """Who may reach the model's pods: the serving data plane, namespaces labelled as model
    consumers, Prometheus, and the model's own pods (the shadow mirror). Nobody else."""
    mode = env.mode
    http = [{"port": port, "protocol": "TCP"} for port in mode.pod_ports]
    metrics = RUNTIMES[release.runtime].metrics_port
    own_pods = {"podSelector": {"matchLabels": {MODEL_LABEL: release.model}}}
    consumers = {"namespaceSelector": {"matchLabels": {CONSUMER_LABEL: "true"}}}
    dataplane = {
        "namespaceSelector": {
            "matchExpressions": [
                {
                    "key": "kubernetes.io/metadata.name",
                    "operator": "In",
                    "values": sorted(mode.dataplane_namespaces),
                }
            ]
        }
    }
    monitoring = {
        "namespaceSelector": {
            "matchLabels": {"kubernetes.io/metadata.name": env.monitoring_namespace}
        }
    }
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": _metadata(release, env, release.model),
        "spec": {
            "podSelector": {"matchLabels": {MODEL_LABEL: release.model}},
            "policyTypes": ["Ingress"],
            "ingress": [
                {"from": [dataplane, consumers, own_pods], "ports": http},
                {"from": [monitoring], "ports": [{"port": metrics, "protocol": "TCP"}]},
            ],
        },
    }


def _batch_claim(release: ModelRelease, env: Environment, claim: str) -> dict[str, Any]:
    """The volume the batch job reads its input from and writes its scores to. Argo CD never
    prunes or deletes it: the scores outlive the release that wrote them."""
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": _metadata(
            release,
            env,
            claim,
            labels={"app.kubernetes.io/component": "batch-scoring"},
            annotations={"argocd.argoproj.io/sync-options": "Prune=false,Delete=false"},
        ),
        "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": release.batch_claim_size}},
        },
    }


def _switch(release: ModelRelease, env: Environment) -> dict[str, Any]:
    """The blue-green switch: a stable Service whose selector names the active colour."""
    active = release.active_color or "blue"
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(
            release,
            env,
            release.model,
            labels={ROLE_LABEL: "switch"},
            annotations={f"{LABEL}/active-color": active},
        ),
        "spec": {
            "type": "ClusterIP",
            "selector": {MODEL_LABEL: release.model, ROLE_LABEL: active},
            "ports": [
                {
                    "name": "http",
                    "port": 80,
                    "targetPort": env.mode.pod_http_port,
                    "protocol": "TCP",
                }
            ],
        },
    }
