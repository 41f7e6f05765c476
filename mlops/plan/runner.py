"""Run the Pulumi program of one stack offline and return what it declares."""

from collections.abc import Callable
from dataclasses import dataclass

import pulumi
from pulumi.runtime import settings

from mlops.config.loader import PROJECT
from mlops.config.model import StackConfig
from mlops.plan.capture import CapturingMonitor, PlannedResource, PlatformMocks

OFFLINE_SECRET = "offline-plan-placeholder"  # stands in for `pulumi config set --secret` values


@dataclass(frozen=True)
class Plan:
    stack: str
    resources: list[PlannedResource]

    def of_type(self, type_token: str) -> list[PlannedResource]:
        return [resource for resource in self.resources if resource.type == type_token]

    def as_json(self) -> dict[str, object]:
        return {
            "stack": self.stack,
            "resources": [
                {"type": r.type, "name": r.name, "parent": r.parent, "inputs": r.inputs}
                for r in self.resources
            ],
        }


def plan_stack(stack: str, config: StackConfig) -> Plan:
    """Declare the whole platform under mocks; nothing leaves the process."""
    from components.platform import PlatformSecrets
    from components.program import program

    secrets = PlatformSecrets(oidc_client_secret=pulumi.Output.secret(OFFLINE_SECRET))
    return Plan(stack=stack, resources=capture(stack, lambda: program(config, secrets)))


def capture(stack: str, build: Callable[[], object]) -> list[PlannedResource]:
    """Run `build` under capturing mocks and return every resource it declared, in order."""
    monitor = CapturingMonitor(PlatformMocks())
    settings.reset_options(project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_mocks(
        PlatformMocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor
    )
    pulumi.runtime.test(build)()
    return list(monitor.planned)
