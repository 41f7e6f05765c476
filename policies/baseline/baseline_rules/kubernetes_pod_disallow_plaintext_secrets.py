"""kubernetes-pod-disallow-plaintext-secrets: secret material is never written inline where it
ends up readable (container env values, ConfigMaps, Helm values that land in the release
object); it is referenced from a Kubernetes Secret instead (`valueFrom.secretKeyRef`,
`existingSecret`). A name counts as secret-looking when it ends in password, secret, token,
apiKey, privateKey or credentials."""

from mlops_policy_kit.kubernetes import plaintext_secret_findings
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for finding in plaintext_secret_findings(args.resource_type, args.props):
        report_violation(f"{finding.path} ('{finding.value}') holds a literal value", None)


POLICY = ResourceValidationPolicy(
    name="kubernetes-pod-disallow-plaintext-secrets",
    description="Secret values are referenced from Kubernetes Secrets, never inlined.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Put the value in a Kubernetes Secret (from a Pulumi secret) and reference "
    "it: env valueFrom.secretKeyRef, or the chart's existingSecret setting.",
)
