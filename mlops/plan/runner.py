"""Run the Pulumi program of a stack offline and return what it declares."""

import asyncio
import multiprocessing
import os
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.runtime import resource as resource_runtime
from pulumi.runtime import settings
from pulumi.runtime.proto import source_pb2

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


def plan_stack(
    stack: str, config: StackConfig, transforms: dict[str, list[Any]] | None = None
) -> Plan:
    """Declare the whole platform under mocks; nothing leaves the process. `transforms`, when
    given, receives each resource's transforms (URN -> callables)."""
    from components.platform import PlatformSecrets
    from components.program import program

    ensure_event_loop()
    secrets = PlatformSecrets(oidc_client_secret=pulumi.Output.secret(OFFLINE_SECRET))
    resources = capture(stack, lambda: program(config, secrets), transforms)
    return Plan(stack=stack, resources=resources)


def ensure_event_loop() -> None:
    """Pulumi's Outputs are futures on the thread's current event loop, and `asyncio.run`
    anywhere earlier in the process (the preflight's tree builds, a server) leaves none."""
    try:
        asyncio.get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def plan_stacks(configs: Mapping[str, StackConfig], max_workers: int | None = None) -> list[Plan]:
    return list(iter_plans(configs, max_workers))


def iter_plans(
    configs: Mapping[str, StackConfig], max_workers: int | None = None
) -> Iterator[Plan]:
    """Plan several stacks and yield each plan as it is ready, in the order given. Planning is
    CPU-bound Python, so where forking is safe, workers forked after the Pulumi program is
    imported (a second of the work) plan the stacks side by side, one per core, while the caller
    works on the plans already yielded; elsewhere the stacks are planned here, one by one."""
    import components.program  # noqa: F401  (imported once, before any fork)

    workers = min(len(configs), max_workers or len(os.sched_getaffinity(0))) if _can_fork() else 1
    pool = None
    if workers > 1:
        try:
            pool = multiprocessing.get_context("fork").Pool(workers)
        except OSError:  # no shared memory for the pool's locks (some sandboxes): plan here
            pool = None
    if pool is None:
        yield from (plan_stack(stack, config) for stack, config in configs.items())
        return
    with pool:
        yield from pool.imap(_plan_item, configs.items())


def _plan_item(item: tuple[str, StackConfig]) -> Plan:
    return plan_stack(*item)


def _can_fork() -> bool:
    """On Linux, from a process with no other thread: threads do not survive a fork, and a
    child inheriting Pulumi's executor (whose threads exist once a plan has run in this process)
    would wait forever for them."""
    return sys.platform == "linux" and threading.active_count() == 1


def capture(
    stack: str, build: Callable[[], object], transforms: dict[str, list[Any]] | None = None
) -> list[PlannedResource]:
    """Run `build` under capturing mocks and return every resource it declared, in order."""
    monitor = CapturingMonitor(PlatformMocks())
    settings.reset_options(project=PROJECT, stack=stack, preview=False)
    pulumi.runtime.set_mocks(
        PlatformMocks(), project=PROJECT, stack=stack, preview=False, monitor=monitor
    )
    with _without_source_positions():
        pulumi.runtime.test(build)()
    if transforms is not None:
        transforms.update(monitor.transforms)
    return list(monitor.planned)


@contextmanager
def _without_source_positions() -> Iterator[None]:
    """Pulumi walks the Python stack at every registration so that the engine can say where a
    resource was declared: a tenth of a plan's time, and the mock monitor never reads it."""
    original = resource_runtime._get_stack_trace  # fails loudly if the SDK renames it
    resource_runtime._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        resource_runtime._get_stack_trace = original
