"""The Pulumi program: one Platform from the validated stack config, and the stack outputs.

Both `__main__.py` (a real `pulumi up`) and `mlops plan` (offline, under mocks) call `program`,
so the plan is exactly what the real program declares.
"""

import pulumi

from components.platform import Platform, PlatformSecrets
from mlops.config.model import StackConfig


def program(config: StackConfig, secrets: PlatformSecrets) -> dict[str, object]:
    platform = Platform("platform", config, secrets)
    outputs: dict[str, object] = {
        "environment": config.environment,
        "endpoints": platform.endpoints,
        "buckets": platform.buckets,
        "namespaces": platform.namespaces,
        "model_transfer": platform.model_transfer,
    }
    if platform.kubeconfig is not None:
        outputs["kubeconfig"] = pulumi.Output.secret(platform.kubeconfig)
    for key, value in outputs.items():
        pulumi.export(key, value)
    return outputs
