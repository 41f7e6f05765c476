"""Object storage for MLflow artifacts, datasets and pipeline artifacts: MinIO in the cluster or
S3 (KMS-encrypted, versioned, public access blocked, TLS only). Each consumer namespace gets its
own credentials (MinIO) or an IAM policy to attach to its workload identity (S3)."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.helm import pinned_release
from components.iam import allow, policy_document
from components.kms import rotating_key
from mlops.config.model import ChartPin, StorageConfig

MINIO_PORT = 9000
MINIO_SERVICE = "minio"


@dataclass(frozen=True)
class ObjectStorageArgs:
    cluster_name: str
    settings: StorageConfig
    namespace: str  # where MinIO runs
    consumer_namespaces: tuple[str, ...]  # namespaces whose workloads read and write buckets
    minio_chart: ChartPin
    tags: dict[str, str]


class ObjectStorage(pulumi.ComponentResource):
    """Buckets, and how each consumer reaches them."""

    buckets: dict[str, pulumi.Output[str]]
    endpoint_url: str | None
    credentials_secret: str | None  # Secret name in each consumer namespace (MinIO only)
    access_policy: pulumi.Output[str] | None  # IAM policy for workload identities (S3 only)

    def __init__(
        self, name: str, args: ObjectStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:object_storage:ObjectStorage", name, None, opts)
        self.endpoint_url = None
        self.credentials_secret = None
        self.access_policy = None
        if args.settings.mode == "s3":
            self._s3(name, args)
        else:
            self._minio(name, args)
        self.register_outputs({"buckets": self.buckets, "endpoint_url": self.endpoint_url})

    def _s3(self, name: str, args: ObjectStorageArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        key = rotating_key(
            f"{name}-buckets", f"{args.cluster_name}: object storage", args.tags, child
        )
        self.buckets = {}
        for logical in args.settings.buckets:
            bucket = aws.s3.Bucket(
                f"{name}-{logical}",
                bucket_prefix=f"{args.cluster_name}-{logical}-"[:37],
                force_destroy=args.settings.force_destroy,
                tags=args.tags,
                opts=child,
            )
            aws.s3.BucketPublicAccessBlock(
                f"{name}-{logical}",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=child,
            )
            aws.s3.BucketOwnershipControls(
                f"{name}-{logical}",
                bucket=bucket.id,
                rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
                opts=child,
            )
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{name}-{logical}",
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                            sse_algorithm="aws:kms", kms_master_key_id=key.arn
                        ),
                        bucket_key_enabled=True,
                    )
                ],
                opts=child,
            )
            aws.s3.BucketVersioning(
                f"{name}-{logical}",
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                    status="Enabled"
                ),
                opts=child,
            )
            aws.s3.BucketPolicy(
                f"{name}-{logical}",
                bucket=bucket.id,
                policy=bucket.arn.apply(_deny_insecure_transport),
                opts=child,
            )
            self.buckets[logical] = bucket.bucket
        arns = [
            bucket_name.apply(lambda b: f"arn:aws:s3:::{b}")
            for bucket_name in self.buckets.values()
        ]
        self.access_policy = pulumi.Output.all(key.arn, *arns).apply(
            lambda values: policy_document(
                allow(["s3:ListBucket", "s3:GetBucketLocation"], list(values[1:])),
                allow(
                    ["s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:GetObjectVersion"],
                    [f"{arn}/*" for arn in values[1:]],
                ),
                allow(["kms:Decrypt", "kms:GenerateDataKey"], [values[0]]),
            )
        )

    def _minio(self, name: str, args: ObjectStorageArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        root_password = random.RandomPassword(f"{name}-root", length=40, special=False, opts=child)
        root_secret = k8s.core.v1.Secret(
            f"{name}-root",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="minio-root", namespace=args.namespace),
            string_data={"rootUser": "platform-admin", "rootPassword": root_password.result},
            opts=child,
        )
        users = []
        self.credentials_secret = "object-storage-credentials"
        for consumer in args.consumer_namespaces:
            secret_key = random.RandomPassword(
                f"{name}-{consumer}", length=40, special=False, opts=child
            )
            credentials = {"access_key": consumer, "secret_key": secret_key.result}
            k8s.core.v1.Secret(
                f"{name}-{consumer}-credentials",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=self.credentials_secret, namespace=consumer
                ),
                string_data=credentials,
                opts=child,
            )
            user_secret = k8s.core.v1.Secret(
                f"{name}-{consumer}-user",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"minio-user-{consumer}", namespace=args.namespace
                ),
                string_data=credentials,
                opts=child,
            )
            users.append(
                {
                    "accessKey": consumer,
                    "existingSecret": user_secret.metadata.name,
                    "existingSecretKey": "secret_key",
                    "policy": "readwrite",
                }
            )
        pinned_release(
            f"{name}-minio",
            args.minio_chart,
            args.namespace,
            values={
                "fullnameOverride": MINIO_SERVICE,
                "mode": "standalone",
                "existingSecret": root_secret.metadata.name,
                "persistence": {"enabled": True, "size": f"{args.settings.minio_volume_size_gb}Gi"},
                "buckets": [
                    {"name": bucket, "policy": "none", "purge": False, "versioning": True}
                    for bucket in args.settings.buckets
                ],
                "users": users,
                "resources": {
                    "requests": {"cpu": "250m", "memory": "1Gi"},
                    "limits": {"cpu": "2", "memory": "4Gi"},
                },
                "securityContext": {
                    "enabled": True,
                    "runAsUser": 1000,
                    "runAsGroup": 1000,
                    "fsGroup": 1000,
                },
                "containerSecurityContext": {
                    "readOnlyRootFilesystem": True,
                    "allowPrivilegeEscalation": False,
                    "capabilities": {"drop": ["ALL"]},
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "service": {"type": "ClusterIP", "port": MINIO_PORT},
                "consoleService": {"type": "ClusterIP"},
                "metrics": {"serviceMonitor": {"enabled": True}},
            },
            opts=child,
        )
        self.buckets = {
            bucket: pulumi.Output.from_input(bucket) for bucket in args.settings.buckets
        }
        self.endpoint_url = (
            f"http://{MINIO_SERVICE}.{args.namespace}.svc.cluster.local:{MINIO_PORT}"
        )


def _deny_insecure_transport(bucket_arn: str) -> str:
    return policy_document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    )
