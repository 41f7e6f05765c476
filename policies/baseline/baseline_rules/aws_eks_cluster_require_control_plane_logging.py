"""aws-eks-cluster-require-control-plane-logging: the API server, audit and authenticator logs go
to CloudWatch; without them nobody can reconstruct who changed what in the cluster."""

from mlops_policy_kit.values import as_list, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
DEFAULT_LOG_TYPES = ["api", "audit", "authenticator"]
LOG_TYPES = ["api", "audit", "authenticator", "controllerManager", "scheduler"]


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != EKS_CLUSTER:
        return
    required = list(args.get_config().get("requiredLogTypes", DEFAULT_LOG_TYPES))
    enabled = {str(kind) for kind in as_list(dig(args.props, "enabledClusterLogTypes"))}
    missing = [kind for kind in required if kind not in enabled]
    if missing:
        report_violation(f"enabledClusterLogTypes lacks {', '.join(missing)}", None)


POLICY = ResourceValidationPolicy(
    name="aws-eks-cluster-require-control-plane-logging",
    description="EKS sends its control-plane logs (at least api, audit, authenticator) to CloudWatch.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "requiredLogTypes": {
                "type": "array",
                "items": {"type": "string", "enum": LOG_TYPES},
                "default": DEFAULT_LOG_TYPES,
            }
        }
    ),
    remediation_steps="Set enabledClusterLogTypes on the cluster to include "
    + ", ".join(DEFAULT_LOG_TYPES)
    + ".",
)
