"""aws-ec2-launchtemplate-require-imdsv2: instances answer metadata requests only with a session
token (IMDSv2), which blocks the SSRF path to the node role's credentials."""

from mlops_policy_kit.values import dig
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)

TYPES = ("aws:ec2/launchTemplate:LaunchTemplate", "aws:ec2/instance:Instance")


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    if args.resource_type not in TYPES:
        return
    if dig(args.props, "metadataOptions", "httpEndpoint") == "disabled":
        return
    tokens = dig(args.props, "metadataOptions", "httpTokens")
    if tokens != "required":
        report_violation(
            f"metadataOptions.httpTokens is {tokens or 'unset'!r}, not 'required'", None
        )


POLICY = ResourceValidationPolicy(
    name="aws-ec2-launchtemplate-require-imdsv2",
    description="EC2 launch templates and instances require IMDSv2 (httpTokens: required).",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Set metadataOptions {httpTokens: required, httpPutResponseHopLimit: 1}.",
)
