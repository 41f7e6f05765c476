"""Mocks for tests that read a component's outputs (decorated with `@pulumi.runtime.test`)."""

import pulumi
import pytest

from mlops.config.loader import PROJECT
from mlops.plan.capture import PlatformMocks


@pytest.fixture
def pulumi_mocks() -> None:
    pulumi.runtime.set_mocks(PlatformMocks(), project=PROJECT, stack="test", preview=False)


def assert_equal(actual: object, expected: object) -> None:
    assert actual == expected, f"{actual!r} != {expected!r}"
