"""The baseline CrossGuard pack: every stack (local, dev, int, prod) is held to it.

Pulumi runs this file (`pulumi preview --policy-pack policies/baseline`); so does
`mlops policy check`, which talks to it over the same gRPC interface. It only assembles the pack:
the rules live in baseline_rules/, one module each.
"""

from baseline_rules import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="mlops-baseline",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="Security and operability floor of the MLOps platform, for every stack.",
)
