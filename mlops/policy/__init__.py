"""Policy as code, offline: the CrossGuard packs under policies/ evaluated against `mlops plan`.

`mlops policy check` plays the part of the Pulumi engine: it starts each pack exactly as
`pulumi preview --policy-pack` does (the pack's own interpreter, `python -m pulumi.policy`), and
calls the same gRPC analyzer methods with the resources of the offline plan. The rules' `validate`
functions therefore run unchanged, in the pack's own environment (pulumi-policy pins a protobuf
that the main environment cannot have).
"""
