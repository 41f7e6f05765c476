"""The evidence collector's identity in the cluster. Its CronJob is rendered into gitops/
(mlops/gitops/collector.py), but what it may do is declared here, by the platform: a GitOps tree
that could write ServiceAccounts, Roles and RoleBindings could grant itself anything, so the
AppProject admits none of those kinds.

- a ServiceAccount of its own namespace, bound to the store as the `collector` consumer: read
  and list the request-logs bucket, nothing else (its keys in the namespace's Secret, or its IAM
  role on S3), while the predictors may only append to that bucket;
- a ConfigMap naming the request log (`s3://<the bucket's real name>/<prefix>`, known only once
  the store exists), which the CronJob reads into `MLOPS_REQUEST_LOG`;
- where the stack names a retraining pipeline, one Role in Kubeflow Pipelines' namespace (the
  collector's profile) allowing `create` on `runs.pipelines.kubeflow.org` and nothing else,
  bound to that ServiceAccount: what KFP's API server asks the Kubernetes authorizer
  (SubjectAccessReview) about the token the collector sends.
"""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.artifact_store import ArtifactStore
from mlops.config.model import CollectorConfig, ServingConfig
from mlops.config.namespaces import (
    COLLECTOR_ACCOUNT,
    COLLECTOR_REQUEST_LOG_KEY,
    COLLECTOR_SETTINGS,
)
from mlops.serving.runtime import request_log_settings

KFP_GROUP = "pipelines.kubeflow.org"
RUN_ROLE = "evidence-collector-runs"


@dataclass(frozen=True)
class EvidenceCollectorArgs:
    namespace: str  # the collector's own namespace
    collector: CollectorConfig  # monitoring.collector
    drift: bool  # StackConfig.collector_drift: it reads the predictors' request log
    serving: ServingConfig  # where the predictors write their request log
    store: ArtifactStore | None  # the request-logs bucket with the collector's identity
    kfp_namespace: str  # where retraining runs are created


def run_creator_rules() -> list[k8s.rbac.v1.PolicyRuleArgs]:
    """Create runs; not read, list or delete them, nor touch pipelines or experiments."""
    return [
        k8s.rbac.v1.PolicyRuleArgs(api_groups=[KFP_GROUP], resources=["runs"], verbs=["create"])
    ]


class EvidenceCollector(pulumi.ComponentResource):
    """The collector's ServiceAccount, its request-log location and its one KFP permission."""

    def __init__(
        self, name: str, args: EvidenceCollectorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:evidence_collector:EvidenceCollector", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        store = args.store
        annotations = store.service_account_annotations() if store is not None else {}
        k8s.core.v1.ServiceAccount(
            f"{name}-account",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=COLLECTOR_ACCOUNT, namespace=args.namespace, annotations=annotations or None
            ),
            automount_service_account_token=False,
            opts=child,
        )
        if args.drift and store is not None:
            serving = args.serving
            log = pulumi.Output.from_input(store.bucket).apply(
                lambda bucket: _request_log_url(serving, bucket)
            )
            k8s.core.v1.ConfigMap(
                f"{name}-settings",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=COLLECTOR_SETTINGS, namespace=args.namespace
                ),
                data={COLLECTOR_REQUEST_LOG_KEY: log},
                opts=child,
            )
        if args.collector.retraining is not None:
            k8s.rbac.v1.Role(
                f"{name}-runs",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=RUN_ROLE, namespace=args.kfp_namespace),
                rules=run_creator_rules(),
                opts=child,
            )
            k8s.rbac.v1.RoleBinding(
                f"{name}-runs",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=RUN_ROLE, namespace=args.kfp_namespace),
                role_ref=k8s.rbac.v1.RoleRefArgs(
                    api_group="rbac.authorization.k8s.io", kind="Role", name=RUN_ROLE
                ),
                subjects=[
                    k8s.rbac.v1.SubjectArgs(
                        kind="ServiceAccount", name=COLLECTOR_ACCOUNT, namespace=args.namespace
                    )
                ],
                opts=child,
            )
        self.register_outputs({})


def _request_log_url(serving: ServingConfig, bucket: str) -> str:
    settings = request_log_settings(serving, bucket)
    if settings is None:  # StackConfig refuses drift without request logging; this narrows
        raise ValueError("monitoring.collector.drift needs serving.request_log.enabled")
    return settings.sink
