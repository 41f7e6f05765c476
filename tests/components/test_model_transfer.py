"""The promoter's model-transfer roles on S3: a role per side of a promotion, each with its own
side's policy, assumable only with the OIDC token of the machine identity the stack names. What
each policy allows is measured in tests/components/test_s3_access_policies.py."""

import json

import pytest

from components.iam import STS_AUDIENCE
from mlops.config.model import StackConfig, TransferConfig
from mlops.config.object_store import TRANSFER_SIDES
from mlops.plan.capture import MOCK_ACCOUNT_ID, PlannedResource
from mlops.plan.runner import plan_stack
from tests.components.helpers import named, of_type

ROLE = "aws:iam/role:Role"
PROVIDER = "aws:iam/openIdConnectProvider:OpenIdConnectProvider"


def transfer_resources(stack: str, config: StackConfig) -> list[PlannedResource]:
    return [r for r in plan_stack(stack, config).resources if r.parent == "model-transfer"]


@pytest.fixture(scope="module")
def prod(stack_configs) -> list[PlannedResource]:
    return transfer_resources("prod", stack_configs["prod"])


def test_each_side_has_its_role_trusting_only_the_configured_machine(stack_configs, prod):
    config = stack_configs["prod"]
    transfer = config.storage.transfer
    assert transfer is not None
    machine = config.edge.machines[transfer.machine]
    host = machine.issuer.removeprefix("https://")
    assert {r.name for r in of_type(prod, ROLE)} == {f"model-transfer-{s}" for s in TRANSFER_SIDES}
    assert not of_type(prod, PROVIDER)  # the stack names the account's existing provider
    for role in of_type(prod, ROLE):
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {"Federated": transfer.oidc_provider_arn}
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Condition"] == {
            "StringEquals": {f"{host}:sub": machine.subjects[0], f"{host}:aud": STS_AUDIENCE}
        }


def test_each_role_carries_only_its_sides_buckets(prod):
    for side, grant in TRANSFER_SIDES.items():
        role = named(of_type(prod, ROLE), f"model-transfer-{side}")
        policy = named(of_type(prod, "aws:iam/rolePolicy:RolePolicy"), f"model-transfer-{side}")
        assert policy.inputs["role"] == f"{role.name}-id"
        buckets = {
            resource.split(":::", 1)[1].split("/", 1)[0]
            for statement in json.loads(policy.inputs["policy"])["Statement"]
            for resource in statement["Resource"]
            if resource.startswith("arn:aws:s3:::")
        }
        assert buckets == {f"object-storage-{grant.bucket}-mock"}


def test_without_a_provider_the_stack_creates_it_for_the_machines_issuer(stack_configs):
    config = stack_configs["int"]
    storage = config.storage.model_copy(update={"transfer": TransferConfig(machine="ci")})
    resources = transfer_resources("int", config.model_copy(update={"storage": storage}))
    (provider,) = of_type(resources, PROVIDER)
    assert provider.inputs["url"] == config.edge.machines["ci"].issuer
    assert provider.inputs["clientIdLists"] == [STS_AUDIENCE]
    for role in of_type(resources, ROLE):
        (statement,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
        assert statement["Principal"] == {
            "Federated": f"arn:aws:iam::{MOCK_ACCOUNT_ID}:{provider.name}"
        }


def test_a_stack_without_transfer_settings_creates_no_roles(stack_configs):
    config = stack_configs["int"]
    storage = config.storage.model_copy(update={"transfer": None})
    assert transfer_resources("int", config.model_copy(update={"storage": storage})) == []
