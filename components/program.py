"""The Pulumi program: one Platform from the validated stack config, and the stack outputs.

Both `__main__.py` (a real `pulumi up`) and `mlops plan` (offline, under mocks) call `program`,
so the plan is exactly what the real program declares.
"""

import pulumi

from components.platform import Platform
from mlops.config.model import StackConfig


def program(config: StackConfig) -> dict[str, pulumi.Output[object]]:
    platform = Platform("platform", config)
    outputs: dict[str, pulumi.Output[object]] = {
        "environment": pulumi.Output.from_input(config.environment),
        "endpoints": pulumi.Output.from_input(platform.endpoints),
        "buckets": pulumi.Output.from_input(platform.buckets),
        "namespaces": pulumi.Output.from_input(platform.namespaces),
        "kubeconfig": pulumi.Output.secret(platform.kubeconfig),
    }
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
