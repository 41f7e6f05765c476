"""Put a stack's Kubernetes objects on the local control plane as `pulumi up` would, and its
rendered gitops/ manifests as an Argo CD sync would.

The CRDs come first, from the vendored upstream definitions (`mlops/manifests/crds/`), standing
in for the Helm releases that install them (charts are not installed here). Then the objects
the plan declares directly, wave by wave in dependency order (`mlops.cluster.order`). Applying
another stack afterwards deletes what the previous one declared and this one does not, as a
stack update would, so one cluster can take the stacks in turn.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from kubernetes.client.exceptions import ApiException

from mlops.cluster.apply import Applier, Refusal, key
from mlops.cluster.order import manifest, patch_targets_missing, waves
from mlops.manifests.schema import CRD_DIR
from mlops.plan.runner import Plan
from mlops.preflight.declared import is_patch
from mlops.yamlio import load_yaml

ESTABLISHED_TIMEOUT = 30.0
NAMESPACE_TIMEOUT = 60.0


@dataclass
class Applied:
    """What one apply did: objects accepted, refused (with why) and left out (with why)."""

    stack: str
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        return (f"{self.stack}: {len(self.accepted)} objects accepted, {len(self.refused)} "
                f"refused, {len(self.skipped)} left out")  # fmt: skip


def vendored_crds() -> list[dict[str, Any]]:
    documents = (yaml.load_all(path.read_text(), Loader=yaml.CSafeLoader)  # vendored, trusted
                 for path in sorted(CRD_DIR.glob("*.yaml")))  # fmt: skip
    crds = [doc for docs in documents for doc in docs
            if isinstance(doc, dict) and doc.get("kind") == "CustomResourceDefinition"]  # fmt: skip
    # Some vendored files are chart templates whose labels hold `{{ ... }}`: keep the definition.
    return [{**crd, "metadata": {key: _untemplated(value) for key, value in crd["metadata"].items()}}
            for crd in crds]  # fmt: skip


def _untemplated(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if "{{" not in str(v)}
    return value


def install_crds(applier: Applier) -> Applied:
    """Apply the vendored CRDs and wait until the API server serves every one of them."""
    result = Applied("crds")
    for crd in vendored_crds():
        _record(result, crd, applier.apply(crd))
    deadline = time.monotonic() + ESTABLISHED_TIMEOUT
    pending = {crd["metadata"]["name"] for crd in result.accepted}
    resource = applier.resource(
        {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition"}
    )
    while pending and time.monotonic() < deadline:
        for name in sorted(pending):
            conditions = resource.get(name=name).to_dict().get("status", {}).get("conditions") or []
            if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
                pending.discard(name)
        time.sleep(0.1)
    applier.refresh()
    for name in pending:
        result.refused.append(Refusal(f"CustomResourceDefinition {name}", 0, "not Established"))
    return result


def _record(result: Applied, obj: dict[str, Any], outcome: Refusal | dict[str, Any]) -> None:
    if isinstance(outcome, Refusal):
        result.refused.append(outcome)
    else:
        result.accepted.append(outcome)


class StackApplier:
    """Applies stacks one after another to one cluster, deleting what a stack no longer has."""

    def __init__(self, applier: Applier) -> None:
        self.applier = applier
        self.current: list[dict[str, Any]] = []

    def apply_plan(self, plan: Plan) -> Applied:
        result = Applied(plan.stack)
        ordered = waves(plan.resources)
        declared = {(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"])
                    for m in (manifest(r) for wave in ordered for r in wave if not is_patch(r))}  # fmt: skip
        for wave in ordered:
            for resource in wave:
                obj = manifest(resource)
                if patch_targets_missing(resource, declared):
                    result.skipped[key(obj)] = "patches an object a Helm release creates"
                    continue
                _record(result, obj, self._apply_or_replace(obj))
        self._prune(result.accepted)
        return result

    def _apply_or_replace(self, obj: dict[str, Any]) -> Refusal | dict[str, Any]:
        """Apply; where the previous stack's object differs in an immutable field, replace it
        (delete, then create), as pulumi-kubernetes replaces such an object."""
        outcome = self.applier.apply(obj)
        if (
            isinstance(outcome, Refusal)
            and outcome.status == 422
            and "immutable" in outcome.message
        ):
            self.delete(obj)
            deadline = time.monotonic() + ESTABLISHED_TIMEOUT
            while isinstance(outcome, Refusal) and time.monotonic() < deadline:
                time.sleep(0.2)
                outcome = self.applier.apply(obj)
        return outcome

    def apply_manifests(self, stack: str, objects: list[dict[str, Any]]) -> Applied:
        """Objects as an Argo CD sync applies them, all at once."""
        result = Applied(stack)
        for obj in objects:
            _record(result, obj, self.applier.apply(obj))
        self.current = [*self.current, *result.accepted]  # the next stack prunes them too
        return result

    def _prune(self, accepted: list[dict[str, Any]]) -> None:
        keep = {key(obj) for obj in accepted}
        gone = [obj for obj in reversed(self.current) if key(obj) not in keep]
        for obj in gone:
            self.delete(obj)
        self.current = list(accepted)
        deadline = time.monotonic() + NAMESPACE_TIMEOUT  # a Terminating namespace refuses content
        for obj in (o for o in gone if o["kind"] == "Namespace"):
            while self.exists(obj) and time.monotonic() < deadline:
                time.sleep(0.2)

    def exists(self, obj: dict[str, Any]) -> bool:
        try:
            self.applier.resource(obj).get(name=obj["metadata"]["name"])
        except ApiException as error:
            if error.status == 404:
                return False
            raise
        return True

    def delete(self, obj: dict[str, Any]) -> None:
        resource = self.applier.resource(obj)
        metadata = obj["metadata"]
        try:
            resource.delete(name=metadata["name"], namespace=metadata.get("namespace"))
        except ApiException as error:
            if error.status != 404:
                raise


def rendered_manifests(root: Path, env: str) -> list[dict[str, Any]]:
    """Every object under gitops/envs/<env>/rendered (one per file), what Argo CD syncs."""
    return [
        load_yaml(path)
        for path in sorted((root / "gitops" / "envs" / env / "rendered").rglob("*.yaml"))
    ]
