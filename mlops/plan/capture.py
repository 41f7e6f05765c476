"""A Pulumi mock monitor that records what the program declares, with parents and inputs.

The stock MockMonitor keeps no parent and hands inputs to the mocks only; the plan, the policy
check and the component tests all need the whole tree, so this records every registration.
"""

from dataclasses import dataclass, field
from typing import Any

from pulumi import Output
from pulumi.runtime import rpc
from pulumi.runtime.mocks import (
    MockCallArgs,
    MockMonitor,
    MockResourceArgs,
    Mocks,
    _resolve_callbacks,
)

SECRET_PLACEHOLDER = "[secret]"
MOCK_ACCOUNT_ID = "123456789012"
MOCK_REGION = "eu-central-1"


@dataclass(frozen=True)
class PlannedResource:
    """One declared resource: its type token, logical name, parent's name and resolved inputs."""

    type: str
    name: str
    parent: str | None
    inputs: dict[str, Any]
    custom: bool
    urn: str = field(compare=False)
    parent_urn: str = field(compare=False, default="")
    # URNs it waits for: `depends_on` and the resources whose outputs its inputs use
    dependencies: tuple[str, ...] = field(compare=False, default=())


def redact_secrets(value: Any) -> Any:
    """Replace every secret value by a placeholder, so a plan never prints one. Maps and lists
    keep their shape (Pulumi marks a whole `stringData` secret when one value is), so that the
    redacted object still validates against its schema."""
    if rpc.is_rpc_secret(value):
        return _mask(value["value"])
    if isinstance(value, dict):
        return {key: redact_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_secrets(item) for item in value]
    return value


def _mask(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _mask(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_mask(item) for item in value]
    return SECRET_PLACEHOLDER


class DuplicateResourceError(Exception):
    """The program declared a resource whose URN another already has: a bug in the program,
    which the stock mocks let pass and the real engine does not."""


class CapturingMonitor(MockMonitor):
    """MockMonitor that also records each registration in declaration order."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self.planned: list[PlannedResource] = []
        # the `transforms` of each resource that has some (URN -> the Python callables), which
        # the engine would apply to the children a provider creates (Helm, kustomize)
        self.transforms: dict[str, list[Any]] = {}
        self._names_by_urn: dict[str, str] = {}

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)
        if response.urn in self._names_by_urn:
            raise DuplicateResourceError(
                f"{response.urn}: declared twice; the Pulumi engine refuses two resources of "
                "one type with one name under one parent (`pulumi up` would fail here)"
            )
        if request.type != "pulumi:pulumi:Stack":
            self._names_by_urn[response.urn] = request.name
            if request.transforms:
                self.transforms[response.urn] = _resolve_callbacks(request.transforms)
            self.planned.append(
                PlannedResource(
                    type=request.type,
                    name=request.name,
                    parent=self._names_by_urn.get(request.parent),
                    inputs=redact_secrets(rpc.deserialize_properties(request.object)),
                    custom=bool(request.custom),
                    urn=response.urn,
                    parent_urn=request.parent,
                    dependencies=tuple(request.dependencies),
                )
            )
        return response


class PlatformMocks(Mocks):
    """Echo inputs as outputs and fill the few provider-computed outputs components read."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        outputs = dict(args.inputs)
        outputs.update(_computed_outputs(args.typ, args.name))
        return f"{args.name}-id", outputs

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        """The provider functions the program calls, with no failures (an empty list: pulumi
        iterates it, whatever its annotation says)."""
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            return {"names": [f"{MOCK_REGION}{zone}" for zone in "abcdef"], "zoneIds": []}, []
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": MOCK_ACCOUNT_ID, "arn": "", "userId": ""}, []
        return {}, []


def _computed_outputs(type_token: str, name: str) -> dict[str, Any]:
    arn_service = type_token.split(":")[1].split("/", maxsplit=1)[0]
    outputs: dict[str, Any] = {"arn": f"arn:aws:{arn_service}::{MOCK_ACCOUNT_ID}:{name}"}
    if type_token == "aws:eks/cluster:Cluster":
        outputs |= {
            "endpoint": f"https://{name}.eks.mock",
            "certificateAuthority": {"data": "bW9jay1jYQ=="},
            "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.mock/id/{name}"}]}],
        }
    if type_token == "aws:ecr/repository:Repository":
        outputs["repositoryUrl"] = f"{MOCK_ACCOUNT_ID}.dkr.ecr.{MOCK_REGION}.amazonaws.com/{name}"
    if type_token == "aws:s3/bucket:Bucket":
        outputs["bucket"] = f"{name}-mock"
    if type_token == "aws:eks/nodeGroup:NodeGroup":  # the managed group's Auto Scaling group
        outputs["resources"] = [{"autoscalingGroups": [{"name": f"eks-{name}-asg"}]}]
    if type_token == "aws:ec2/launchTemplate:LaunchTemplate":
        outputs["latestVersion"] = 1
    if type_token == "random:index/randomPassword:RandomPassword":
        outputs["result"] = Output.secret(f"mock-password-{name}")  # as the real provider does
    if type_token == "aws:rds/instance:Instance":
        outputs["address"] = f"{name}.rds.mock"
    return outputs
