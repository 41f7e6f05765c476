"""kubernetes-deployment-require-replicas: serving workloads run enough replicas to survive a
node loss and a rolling update. The minimum and the namespaces come from the policy config,
because they differ between environments."""

from mlops_policy_kit.kubernetes import DEPLOYMENT_PATCH, REPLICATED_TYPES, namespace_of
from mlops_policy_kit.values import as_number, dig
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

DEFAULT_MIN_REPLICAS = 2
DEFAULT_NAMESPACES = ["models", "kserve"]
CONFIG_SCHEMA = {
    "minReplicas": {"type": "integer", "minimum": 1, "default": DEFAULT_MIN_REPLICAS},
    "namespaces": {"type": "array", "items": {"type": "string"}, "default": DEFAULT_NAMESPACES},
}


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in REPLICATED_TYPES:
        return
    config = args.get_config()
    namespace = namespace_of(args.resource_type, args.props)
    if namespace not in config.get("namespaces", DEFAULT_NAMESPACES):
        return
    replicas = as_number(dig(args.props, "spec", "replicas"))
    if replicas is None and args.resource_type == DEPLOYMENT_PATCH:
        return  # the patch leaves the replica count alone
    minimum = config.get("minReplicas", DEFAULT_MIN_REPLICAS)
    count = 1 if replicas is None else replicas
    if count < minimum:
        report_violation(
            f"spec.replicas is {count:g} in namespace '{namespace}'; at least {minimum} required",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="kubernetes-deployment-require-replicas",
    description="Serving Deployments and StatefulSets run a minimum number of replicas.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(properties=CONFIG_SCHEMA),
    remediation_steps="Raise the replica count in the stack's replicas settings (for example "
    "replicas.kserve_controller).",
)
