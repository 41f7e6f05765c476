"""One real control plane per test session (`mlops.cluster`), started by the first test that
asks for it and stopped at the end. Without a Go toolchain (and no cached build) every test that
needs it skips with that one reason.

The stacks take turns on it: `ControlPlane.on(plan)` applies a stack (plan objects, then its
gitops manifests) unless it is the one applied last, pruning what the previous stack had;
`ControlPlane.sync(plan, root)` applies another tree's rendered manifests over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mlops import toolchain
from mlops.cluster import lifecycle
from mlops.cluster.apply import Applier
from mlops.cluster.stacks import Applied, StackApplier, install_crds, rendered_manifests
from mlops.cluster.state import Layout
from mlops.plan.runner import Plan, plan_stacks

REPO = Path(__file__).resolve().parents[2]
NODES_OF = "prod"  # the node pools the kwok nodes copy: prod's, the largest


@dataclass
class ControlPlane:
    layout: Layout
    api: object  # kubernetes.client.ApiClient
    stacks: StackApplier
    crds: Applied
    current: str | None = None
    results: tuple[Applied, Applied] | None = None

    def on(self, plan: Plan) -> tuple[Applied, Applied]:
        """The stack on the cluster: (its plan objects, its gitops manifests) as applied."""
        if self.current != plan.stack or self.results is None:
            objects = self.stacks.apply_plan(plan)
            manifests = self.stacks.apply_manifests(
                plan.stack, rendered_manifests(REPO, plan.stack)
            )
            self.current, self.results = plan.stack, (objects, manifests)
        return self.results

    def sync(self, plan: Plan, root: Path) -> Applied:
        """The stack on the cluster, then the manifests rendered under `root`'s gitops/ (a
        scratch clone's) applied as an Argo CD sync of it would; the next `on` puts the
        repository's own back."""
        if self.current != plan.stack:
            self.on(plan)
        synced = self.stacks.apply_manifests(plan.stack, rendered_manifests(root, plan.stack))
        self.results = None
        return synced


@pytest.fixture(scope="package")  # stopped after tests/cluster: the demo load tests run without it
def control_plane(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    root = tmp_path_factory.mktemp("control-plane") / "state"
    try:
        for name in lifecycle.PROGRAMS:
            toolchain.binary(name)
    except toolchain.MissingToolError as missing:
        pytest.skip(f"no control plane: {missing}")
    lifecycle.up(root, NODES_OF)
    layout = Layout(root)
    api = lifecycle.client(layout)
    applier = Applier(api, "mlops-tests")
    try:
        yield ControlPlane(layout, api, StackApplier(applier), install_crds(applier))
    finally:
        api.close()
        lifecycle.down(root)


@pytest.fixture(scope="session")
def plans(stack_configs) -> dict[str, Plan]:
    return {plan.stack: plan for plan in plan_stacks(stack_configs)}
