"""kubernetes-pod-disallow-latest-tag: every image is pinned by a version tag or a digest; `latest`
or no tag means the same manifest can run different code tomorrow, which no audit can follow."""

from mlops_policy_kit.kubernetes import container_images
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
)


def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    for path, image in container_images(args.resource_type, args.props):
        if not image.pinned:
            what = "the 'latest' tag" if image.tag == "latest" else "no tag or digest"
            report_violation(f"{path} '{image.text}' has {what}", None)


POLICY = ResourceValidationPolicy(
    name="kubernetes-pod-disallow-latest-tag",
    description="Container images are pinned to a version tag or digest, never 'latest'.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Reference the image by an immutable version tag or by @sha256 digest.",
)
