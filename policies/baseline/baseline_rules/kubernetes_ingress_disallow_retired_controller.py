"""kubernetes-ingress-disallow-retired-controller: ingress-nginx was retired in March 2026 (no
releases, no security fixes); the edge is the Gateway API (Envoy Gateway). Its chart, an
IngressClass it implements, and any Ingress of its class or with its annotations are refused."""

from mlops_policy_kit.kubernetes import object_name, retired_ingress_findings
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    name = object_name(args.resource_type, args.props) or "?"
    for finding in retired_ingress_findings(args.resource_type, args.props):
        report_violation(
            f"{name}: {finding.path} is '{finding.value}', the retired ingress-nginx "
            "controller (no security fixes since March 2026)",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="kubernetes-ingress-disallow-retired-controller",
    description="No ingress-nginx: not its chart, its IngressClass, nor Ingresses for it.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Expose the service through an HTTPRoute on the platform's Gateway with a "
    "SecurityPolicy (components/edge.py; access in the stack's edge.routes).",
)
