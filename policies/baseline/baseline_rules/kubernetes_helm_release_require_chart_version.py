"""kubernetes-helm-release-require-chart-version: every Helm release pins one exact chart version;
a range or no version installs whatever the repository serves that day."""

import re

from mlops_policy_kit.kubernetes import HELM_RELEASE
from mlops_policy_kit.values import dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

EXACT_VERSION = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type != HELM_RELEASE:
        return
    version = dig(args.props, "version")
    if not isinstance(version, str) or not EXACT_VERSION.match(version):
        report_violation(
            f"chart '{dig(args.props, 'chart')}' has version {version!r}, not an exact version",
            None,
        )


POLICY = ResourceValidationPolicy(
    name="kubernetes-helm-release-require-chart-version",
    description="Helm releases pin an exact chart version.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Install charts through components/helm.py pinned_release with a version "
    "from the stack's charts settings (for example 1.18.2, never ^1 or empty).",
)
