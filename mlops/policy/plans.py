"""The resources a stack declares: the platform's program under mocks, or another program.

`--program FILE` checks a program other than the platform's (a fork's extension, or a test
fixture) with the same packs: the file defines `program(config, secrets)` like
components/program.py.
"""

import importlib.util
import traceback
from collections.abc import Iterator, Mapping
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
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # the file's own code: any error is the file's
        raise _failed(path, "does not load", error) from None
    program = getattr(module, "program", None)
    if not callable(program):
        raise BadInputError(f"{path}: program: missing; define program(config, secrets)")
    return program


def planned_resources(
    configs: Mapping[str, StackConfig], program: Path | None
) -> Iterator[tuple[str, list[PlannedResource]]]:
    """What each stack declares, stack by stack as each plan is ready, in the order given."""
    from components.platform import PlatformSecrets
    from mlops.plan.runner import OFFLINE_SECRET, capture, iter_plans

    if program is None:
        yield from ((plan.stack, plan.resources) for plan in iter_plans(configs))
        return
    build = load_program(program)
    import pulumi

    secrets = PlatformSecrets(oidc_client_secret=pulumi.Output.secret(OFFLINE_SECRET))
    for stack, config in configs.items():
        try:
            resources = capture(stack, lambda config=config: build(config, secrets))
        except BadInputError:
            raise
        except Exception as error:  # the program's own code: any error is the program's
            what = f"program(config, secrets) failed for stack '{stack}'"
            raise _failed(program, what, error) from None
        yield stack, resources


def _failed(path: Path, what: str, error: Exception) -> BadInputError:
    """One line naming the file, the line in it where the error arose, and the error."""
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve() == path.resolve()
    ]
    where = f", line {lines[-1]}" if lines else ""
    return BadInputError(f"{path}{where}: {what}: {type(error).__name__}: {error}")
