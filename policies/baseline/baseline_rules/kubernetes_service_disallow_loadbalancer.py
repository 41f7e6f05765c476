"""kubernetes-service-disallow-loadbalancer: only the gateway's Envoy proxies get a cloud load
balancer; every other service is reached through it (TLS, authentication, one audited front
door)."""

from mlops_policy_kit.kubernetes import load_balancer_findings, namespace_of
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

DEFAULT_ALLOWED_NAMESPACES = ["envoy-gateway-system"]


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    allowed = list(args.get_config().get("allowedNamespaces", DEFAULT_ALLOWED_NAMESPACES))
    namespace = namespace_of(args.resource_type, args.props)
    if namespace in allowed:
        return
    for finding in load_balancer_findings(args.resource_type, args.props):
        report_violation(
            f"{finding.path} is LoadBalancer in namespace '{namespace or 'default'}' "
            f"(allowed only in {', '.join(allowed)})",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="kubernetes-service-disallow-loadbalancer",
    description="Only the gateway's Service is of type LoadBalancer.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    config_schema=PolicyConfigSchema(
        properties={
            "allowedNamespaces": {
                "type": "array",
                "items": {"type": "string"},
                "default": DEFAULT_ALLOWED_NAMESPACES,
            }
        }
    ),
    remediation_steps="Use a ClusterIP Service and expose it through an HTTPRoute on the "
    "platform's Gateway (components/edge.py).",
)
