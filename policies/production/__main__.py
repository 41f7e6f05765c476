"""The production CrossGuard pack: int and prod are held to it on top of the baseline.

Pulumi runs this file (`pulumi preview --policy-pack policies/baseline --policy-pack
policies/production`); so does `mlops policy check`. It only assembles the pack: the rules live
in production_rules/, one module each; the helpers they share with the baseline pack are the
`mlops-policy-kit` package (policies/kit), a requirement like pulumi-policy.
"""

from production_rules import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name="mlops-production",
    policies=POLICIES,
    enforcement_level=EnforcementLevel.MANDATORY,
    description="What int and prod add to the baseline: private API, allowed registries, HA "
    "serving, default-deny networking, protected databases.",
)
