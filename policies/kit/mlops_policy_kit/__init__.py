"""Helpers shared by the platform's CrossGuard packs (baseline and production).

Only the standard library and `pulumi_policy` may be imported here: the packs run in their own
virtual environments (see each pack's requirements.txt), exactly as `pulumi preview
--policy-pack` runs them. Rules receive resource inputs through pulumi-policy's read-only
proxies, which are `Mapping` and `Sequence` but not `dict` and `list`.
"""
