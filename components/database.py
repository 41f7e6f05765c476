"""A PostgreSQL database for one platform service (MLflow's backend store, the governance log):
in the cluster for local and dev (a CloudNativePG `Cluster`, run by the operator the platform
installs once), or RDS (encrypted, private, backed up, TLS forced) elsewhere.

Each service gets its own instance, so the evidence log never shares a blast radius with the
experiment tracker."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.kms import rotating_key
from mlops.config.model import DatabaseConfig

POSTGRES_PORT = 5432
CNPG_API = "postgresql.cnpg.io/v1"


@dataclass(frozen=True)
class DatabaseArgs:
    purpose: str  # mlflow, governance: names the database, its user and its resources
    settings: DatabaseConfig
    namespace: str  # where the service (and, in the cluster, PostgreSQL) runs
    # the CloudNativePG operator release (in the cluster only): its CRDs define `Cluster`
    operator: pulumi.Resource | None = None
    cluster_name: str = ""
    vpc_id: pulumi.Input[str] | None = None
    vpc_cidr: str | None = None
    private_subnet_ids: Sequence[pulumi.Input[str]] | None = None
    tags: dict[str, str] | None = None


def database_operator_values() -> dict[str, Any]:
    """The CloudNativePG operator: one replica, restricted pods (the chart's defaults already
    are: non-root, RuntimeDefault seccomp, read-only root, no capabilities)."""
    return {
        "replicaCount": 1,
        "resources": {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        },
    }


class Database(pulumi.ComponentResource):
    """Outputs how to connect; the password lives only in `password_secret` (key `password`)."""

    host: pulumi.Output[str]
    port: int
    database_name: str
    user: str
    password_secret: pulumi.Output[str]
    url_secret: pulumi.Output[str]  # Secret holding the whole connection URL (key `url`)

    def __init__(
        self, name: str, args: DatabaseArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:database:Database", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.port = POSTGRES_PORT
        self.database_name = args.purpose
        self.user = args.purpose
        password = random.RandomPassword(f"{name}-password", length=32, special=False, opts=child)
        if args.settings.mode == "rds":
            self.host = self._rds(name, args, password)
        else:
            self.host = self._in_cluster(name, args, password)
        credentials = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.purpose}-database", namespace=args.namespace
            ),
            string_data={
                "username": self.user,
                "password": password.result,
                "postgres-password": password.result,
                "url": pulumi.Output.format(
                    "postgresql://{0}:{1}@{2}:{3}/{4}?sslmode={5}",
                    self.user,
                    password.result,
                    self.host,
                    self.port,
                    self.database_name,
                    "require" if args.settings.mode == "rds" else "prefer",
                ),
            },
            opts=child,
        )
        self.password_secret = credentials.metadata.name
        self.url_secret = credentials.metadata.name
        self.register_outputs({"host": self.host, "password_secret": self.password_secret})

    def _in_cluster(
        self, name: str, args: DatabaseArgs, password: random.RandomPassword
    ) -> pulumi.Output[str]:
        """A one-instance CloudNativePG cluster; its owner's credentials come from a basic-auth
        Secret (what the operator's `initdb` bootstrap reads). The service is `<name>-rw`."""
        cluster_name = f"{args.purpose}-postgresql"
        owner = k8s.core.v1.Secret(
            f"{name}-owner",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.purpose}-database-owner", namespace=args.namespace
            ),
            type="kubernetes.io/basic-auth",
            string_data={"username": self.user, "password": password.result},
            opts=pulumi.ResourceOptions(parent=self),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version=CNPG_API,
            kind="Cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=cluster_name, namespace=args.namespace),
            spec={
                "instances": 1,
                "storage": {"size": f"{args.settings.allocated_storage_gb}Gi"},
                "bootstrap": {
                    "initdb": {
                        "database": self.database_name,
                        "owner": self.user,
                        "secret": {"name": owner.metadata.name},
                    }
                },
                "resources": {
                    "requests": {"cpu": "250m", "memory": "512Mi"},
                    "limits": {"cpu": "2", "memory": "2Gi"},
                },
            },
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[owner, *([args.operator] if args.operator else [])]
            ),
        )
        return pulumi.Output.from_input(f"{cluster_name}-rw.{args.namespace}.svc.cluster.local")

    def _rds(
        self, name: str, args: DatabaseArgs, password: random.RandomPassword
    ) -> pulumi.Output[str]:
        if args.vpc_cidr is None:  # the platform passes its network to every RDS database
            raise ValueError(f"{name}: an RDS database needs the environment's VPC")
        child = pulumi.ResourceOptions(parent=self)
        settings = args.settings
        key = rotating_key(
            f"{name}-storage", f"{args.cluster_name}: {args.purpose} database", args.tags, child
        )
        subnets = aws.rds.SubnetGroup(
            f"{name}-subnets", subnet_ids=args.private_subnet_ids, tags=args.tags, opts=child
        )
        firewall = aws.ec2.SecurityGroup(
            f"{name}-postgres",
            description=f"{args.purpose} PostgreSQL: reachable from inside the VPC only",
            vpc_id=args.vpc_id,
            ingress=[
                aws.ec2.SecurityGroupIngressArgs(
                    protocol="tcp",
                    from_port=POSTGRES_PORT,
                    to_port=POSTGRES_PORT,
                    cidr_blocks=[args.vpc_cidr],
                    description="PostgreSQL from the cluster's VPC",
                )
            ],
            tags=args.tags,
            opts=child,
        )
        parameters = aws.rds.ParameterGroup(
            f"{name}-parameters",
            family=f"postgres{settings.engine_version.split('.')[0]}",
            parameters=[
                aws.rds.ParameterGroupParameterArgs(name="rds.force_ssl", value="1"),
                aws.rds.ParameterGroupParameterArgs(name="log_connections", value="1"),
            ],
            tags=args.tags,
            opts=child,
        )
        instance = aws.rds.Instance(
            name,
            identifier_prefix=f"{args.cluster_name}-{args.purpose}-",
            engine="postgres",
            engine_version=settings.engine_version,
            instance_class=settings.instance_class,
            allocated_storage=settings.allocated_storage_gb,
            storage_type="gp3",
            storage_encrypted=True,
            kms_key_id=key.arn,
            db_name=self.database_name,
            username=self.user,
            password=password.result,
            db_subnet_group_name=subnets.name,
            vpc_security_group_ids=[firewall.id],
            parameter_group_name=parameters.name,
            publicly_accessible=False,
            multi_az=settings.multi_az,
            backup_retention_period=settings.backup_retention_days,
            deletion_protection=settings.deletion_protection,
            skip_final_snapshot=False,
            final_snapshot_identifier=f"{args.cluster_name}-{args.purpose}-final",
            copy_tags_to_snapshot=True,
            auto_minor_version_upgrade=True,
            iam_database_authentication_enabled=True,
            performance_insights_enabled=True,
            performance_insights_kms_key_id=key.arn,
            enabled_cloudwatch_logs_exports=["postgresql", "upgrade"],
            tags=args.tags,
            opts=child,
        )
        return instance.address
