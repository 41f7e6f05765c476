"""kubernetes-route-require-authentication: every route the gateway forwards to a backend in int
and prod requires a verified caller (an Envoy Gateway SecurityPolicy with JWT, OIDC, basic
auth, API key or external auth, attached to the route or to its Gateway listener). A stack
policy: it pairs each HTTPRoute with the policies declared beside it."""

from mlops_policy_kit.gateway import unauthenticated_routes
from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)


def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    for route, reason in unauthenticated_routes(list(args.resources)):
        report_violation(f"{route.label} is not authenticated: {reason}", route.urn)


POLICY = StackValidationPolicy(
    name="kubernetes-route-require-authentication",
    description="Every gateway route that reaches a backend requires authentication.",
    validate=validate,
    enforcement_level=EnforcementLevel.MANDATORY,
    remediation_steps="Give the route `authentication: required` and its principals in the "
    "stack's edge.routes; components/edge.py then attaches its SecurityPolicy.",
)
