"""The resources a stack declares: the platform's program under mocks, or another program.

`--program FILE` checks a program other than the platform's (a fork's extension, or a test
fixture) with the same packs: the file defines `program(config, secrets)` like
components/program.py.
"""

import importlib.util
from pathlib import Path
from typing import Any

from mlops.config.model import StackConfig
from mlops.errors import BadInputError
from mlops.plan.capture import PlannedResource


def load_program(path: Path) -> Any:
    if not path.is_file():
        raise BadInputError(f"{path}: no such program file")
    spec = importlib.util.spec_from_file_location(f"mlops_policy_program_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise BadInputError(f"{path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    program = getattr(module, "program", None)
    if not callable(program):
        raise BadInputError(f"{path}: program: missing; define program(config, secrets)")
    return program


def planned_resources(
    stack: str, config: StackConfig, program: Path | None
) -> list[PlannedResource]:
    from components.platform import PlatformSecrets
    from mlops.plan.runner import OFFLINE_SECRET, capture, plan_stack

    if program is None:
        return plan_stack(stack, config).resources
    build = load_program(program)
    import pulumi

    secrets = PlatformSecrets(oidc_client_secret=pulumi.Output.secret(OFFLINE_SECRET))
    return capture(stack, lambda: build(config, secrets))
