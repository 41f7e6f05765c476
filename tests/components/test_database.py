import pytest

from components.database import Database, DatabaseArgs
from mlops.config.model import StackConfig
from mlops.plan.runner import capture
from tests.components.helpers import of_type


def declare(config: StackConfig) -> list:
    args = DatabaseArgs(
        purpose="mlflow",
        settings=config.database,
        namespace="mlflow",
        cluster_name=f"mlops-{config.environment}",
        vpc_id="vpc-1",
        vpc_cidr="10.30.0.0/16",
        private_subnet_ids=["subnet-a", "subnet-b"],
        tags={},
    )
    return capture("test", lambda: Database("database", args))


def test_rds_is_encrypted_private_backed_up_and_forces_tls(stack_configs):
    resources = declare(stack_configs["prod"])
    (instance,) = of_type(resources, "aws:rds/instance:Instance")
    assert instance.inputs["storageEncrypted"] is True
    assert instance.inputs["publiclyAccessible"] is False
    assert instance.inputs["backupRetentionPeriod"] == 30
    assert instance.inputs["deletionProtection"] is True
    assert instance.inputs["skipFinalSnapshot"] is False
    (parameters,) = of_type(resources, "aws:rds/parameterGroup:ParameterGroup")
    assert {(p["name"], p["value"]) for p in parameters.inputs["parameters"]} >= {
        ("rds.force_ssl", "1")
    }
    (firewall,) = of_type(resources, "aws:ec2/securityGroup:SecurityGroup")
    (rule,) = firewall.inputs["ingress"]
    assert rule["cidrBlocks"] == ["10.30.0.0/16"] and rule["fromPort"] == rule["toPort"] == 5432


@pytest.mark.parametrize("stack", ["local", "dev"])
def test_in_cluster_postgresql_is_a_cloudnativepg_cluster_bootstrapped_from_a_secret(
    stack_configs, stack
):
    resources = declare(stack_configs[stack])
    assert not [r for r in resources if r.type.startswith("aws:")]
    assert of_type(resources, "kubernetes:helm.sh/v3:Release") == []  # the operator is shared
    (cluster,) = of_type(resources, "kubernetes:postgresql.cnpg.io/v1:Cluster")
    initdb = cluster.inputs["spec"]["bootstrap"]["initdb"]
    assert initdb["database"] == initdb["owner"] == "mlflow"
    assert initdb["secret"] == {"name": "mlflow-database-owner"}
    owner, credentials = sorted(
        of_type(resources, "kubernetes:core/v1:Secret"), key=lambda s: s.inputs["metadata"]["name"]
    )[::-1]
    assert owner.inputs["type"] == "kubernetes.io/basic-auth"
    assert set(owner.inputs["stringData"]) == {"username", "password"}
    assert credentials.inputs["metadata"] == {"name": "mlflow-database", "namespace": "mlflow"}
    assert set(credentials.inputs["stringData"]) == {
        "username",
        "password",
        "postgres-password",
        "url",
    }
