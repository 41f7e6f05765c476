import hashlib
import json

import pulumi
import pytest

from components.governance import GovernanceService, GovernanceServiceArgs
from mlops.config.loader import PROJECT
from mlops.config.model import Replicas, StackConfig
from mlops.errors import BadInputError
from mlops.plan.capture import PlatformMocks
from mlops.plan.runner import capture
from tests.components.helpers import named, of_type, schema_errors

DB_SECRET = "governance-database"


def governance_args(config: StackConfig, **overrides) -> GovernanceServiceArgs:
    fields = {
        "governance": config.governance,
        "replicas": config.replicas,
        "database_url_secret": DB_SECRET if config.governance.database == "postgresql" else None,
    }
    return GovernanceServiceArgs(**(fields | overrides))


def declare(config: StackConfig, **overrides) -> list:
    args = governance_args(config, **overrides)
    return capture(config.environment, lambda: GovernanceService("governance", args))


def pod_spec(resources: list) -> dict:
    return named(resources, "governance").inputs["spec"]["template"]["spec"]


def deployment(resources: list):
    return next(r for r in resources if r.type == "kubernetes:apps/v1:Deployment")


def env_of(resources: list) -> dict:
    container = deployment(resources).inputs["spec"]["template"]["spec"]["containers"][0]
    return {item["name"]: item for item in container["env"]}


class TlsMocks(PlatformMocks):
    """PlatformMocks, plus the PEM outputs the tls provider computes for a private key."""

    def new_resource(self, args):
        resource_id, outputs = super().new_resource(args)
        if args.typ == "tls:index/privateKey:PrivateKey":
            outputs |= {
                "privateKeyPemPkcs8": "-----BEGIN PRIVATE KEY-----\nmock\n",
                "publicKeyPem": "-----BEGIN PUBLIC KEY-----\nmock\n",
            }
        return resource_id, outputs


@pytest.fixture(autouse=True)
def tls_mocks(monkeypatch) -> None:
    monkeypatch.setattr("mlops.plan.runner.PlatformMocks", TlsMocks)


@pytest.fixture
def mocks() -> None:
    pulumi.runtime.set_mocks(TlsMocks(), project=PROJECT, stack="test", preview=False)


def test_sqlite_stack_runs_one_replica_on_a_volume(stack_configs):
    dev = stack_configs["dev"]
    resources = declare(dev)
    spec = deployment(resources).inputs["spec"]
    assert spec["replicas"] == 1
    assert spec["strategy"] == {"type": "Recreate"}
    assert env_of(resources)["MLOPS_AUDIT"]["value"] == "sqlite:////data/audit.db"
    claim = named(resources, "governance-data").inputs["spec"]
    assert claim["resources"]["requests"]["storage"] == f"{dev.governance.storage_size_gb}Gi"
    mounts = {m["mountPath"]: m for m in spec["template"]["spec"]["containers"][0]["volumeMounts"]}
    assert "/data" in mounts
    assert not of_type(resources, "kubernetes:policy/v1:PodDisruptionBudget")


def test_sqlite_with_more_than_one_replica_is_refused(stack_configs):
    dev = stack_configs["dev"]
    with pytest.raises(BadInputError, match=r"replicas.governance: 2 .*allowed: 1"):
        declare(dev, replicas=Replicas(governance=2))


def test_postgresql_needs_the_url_secret(stack_configs):
    with pytest.raises(BadInputError, match="database_url_secret"):
        declare(stack_configs["prod"], database_url_secret=None)


def test_prod_reads_the_database_url_from_a_secret_and_is_highly_available(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    spec = deployment(resources).inputs["spec"]
    assert spec["replicas"] == prod.replicas.governance == 3
    assert spec["strategy"]["rollingUpdate"] == {"maxSurge": 1, "maxUnavailable": 0}
    source = env_of(resources)["MLOPS_AUDIT"]["valueFrom"]["secretKeyRef"]
    assert source == {"name": DB_SECRET, "key": "url"}
    assert not [r for r in resources if r.name == "governance-data"]
    pdb = of_type(resources, "kubernetes:policy/v1:PodDisruptionBudget")
    assert [p.inputs["spec"]["maxUnavailable"] for p in pdb] == [1]
    assert spec["template"]["spec"]["topologySpreadConstraints"]


def test_restricted_pod_with_read_only_root_and_probes(stack_configs):
    resources = declare(stack_configs["prod"])
    pod = deployment(resources).inputs["spec"]["template"]["spec"]
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = pod["containers"][0]
    assert container["image"] == stack_configs["prod"].governance.image
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["ports"] == [{"name": "http", "containerPort": 8080}]
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert set(container["resources"]) == {"requests", "limits"}
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert {"/tmp", "/etc/mlops/tokens", "/etc/mlops/signing"} <= mounts
    env = env_of(resources)
    assert env["MLOPS_AUDIT_TOKENS_FILE"]["value"] == "/etc/mlops/tokens/tokens.json"
    assert env["MLOPS_AUDIT_SIGNING_KEY_FILE"]["value"] == "/etc/mlops/signing/ed25519.pem"
    account = next(r for r in resources if r.type == "kubernetes:core/v1:ServiceAccount")
    assert account.inputs["automountServiceAccountToken"] is False


def test_service_is_cluster_internal_and_the_gateway_routes_to_it(stack_configs):
    resources = declare(stack_configs["prod"])
    service = next(r for r in resources if r.type == "kubernetes:core/v1:Service")
    assert service.inputs["spec"]["type"] == "ClusterIP"
    assert service.inputs["spec"]["ports"][0]["port"] == 8080
    assert not [r for r in resources if r.type == "kubernetes:networking.k8s.io/v1:Ingress"]


def test_signing_key_is_ed25519_and_secrets_are_redacted(stack_configs):
    resources = declare(stack_configs["dev"])
    key = next(r for r in resources if r.type == "tls:index/privateKey:PrivateKey")
    assert key.inputs == {"algorithm": "ED25519"}
    secrets = {
        r.inputs["metadata"]["name"]: r.inputs["stringData"]
        for r in of_type(resources, "kubernetes:core/v1:Secret")
    }
    assert secrets == {
        "governance-tokens": {"tokens.json": "[secret]"},
        "governance-signing-key": {"ed25519.pem": "[secret]"},
        "evidence-collector-audit": {"token": "[secret]"},  # the auditor's, for the collector
    }
    collector = next(r for r in of_type(resources, "kubernetes:core/v1:Secret")
                     if r.inputs["metadata"]["name"] == "evidence-collector-audit")  # fmt: skip
    assert collector.inputs["metadata"]["namespace"] == "evidence-collector"


@pulumi.runtime.test
def test_tokens_file_maps_digests_to_roles_and_tokens_are_secret(stack_configs, mocks):
    service = GovernanceService("governance", governance_args(stack_configs["dev"]))

    def check(values: list) -> None:
        tokens, tokens_file, url, public_key = values
        assert public_key.startswith("-----BEGIN PUBLIC KEY-----")
        assert set(tokens) == {"auditee", "auditor", "certification-body"}
        expected = {hashlib.sha256(t.encode()).hexdigest(): r for r, t in tokens.items()}
        assert json.loads(tokens_file) == expected
        assert not set(tokens.values()) & set(tokens_file.split('"'))
        assert url == "http://governance.governance.svc.cluster.local:8080"

    secret_flags = pulumi.Output.all(
        pulumi.Output.from_input(service.tokens.is_secret()),
        pulumi.Output.from_input(service.tokens_file.is_secret()),
    )
    secret_flags.apply(lambda flags: _assert_equal(flags, [True, True]))
    return pulumi.Output.all(
        service.tokens, service.tokens_file, service.url, service.signing_public_key
    ).apply(check)


def _assert_equal(actual: object, expected: object) -> None:
    assert actual == expected, f"{actual!r} != {expected!r}"


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "dev", "int", "prod"):
        assert schema_errors(declare(stack_configs[stack])) == []
