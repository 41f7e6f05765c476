"""Object storage for MLflow artifacts, datasets and pipeline artifacts: SeaweedFS in the cluster,
an S3-compatible service the platform does not install, or S3 (KMS-encrypted, versioned, public
access blocked, TLS only). Each consumer namespace gets its own identity, allowed only what its
grant says: generated keys in a Secret (in the cluster), keys the operator puts in that Secret
(external), or an IAM policy for its workload identity (S3)."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.iam import allow, policy_document
from components.kms import rotating_key
from components.seaweedfs import SeaweedFs, SeaweedFsArgs
from mlops.config.model import StorageConfig
from mlops.config.object_store import (
    ACCESS_KEY,
    SECRET_KEY,
    TRANSFER_CREDENTIALS_SECRET,
    TRANSFER_IDENTITY,
    Grant,
    StoreEndpoint,
    store_endpoint,
)

# KServe's storage initializer reads the endpoint of a key Secret from these annotations.
KSERVE_S3_ANNOTATIONS = (
    "serving.kserve.io/s3-endpoint",
    "serving.kserve.io/s3-usehttps",
    "serving.kserve.io/s3-region",
)


@dataclass(frozen=True)
class ObjectStorageArgs:
    cluster_name: str
    settings: StorageConfig
    namespace: str  # where the in-cluster store runs
    grants: dict[str, Grant]  # consumer namespace -> its bucket and whether it writes
    transfer: Grant  # the promoter's identity on an in-cluster store (TRANSFER_GRANT)
    monitoring_namespace: str
    tags: dict[str, str]


class ObjectStorage(pulumi.ComponentResource):
    """Buckets, and how each consumer reaches them."""

    buckets: dict[str, pulumi.Output[str]]
    endpoint: StoreEndpoint | None  # None on S3 (regional endpoint, IRSA)
    access_policies: dict[str, pulumi.Output[str]]  # consumer namespace -> IAM policy (S3 only)
    transfer_secret: str | None  # in the cluster: the promoter's keys, `<namespace>/<name>`

    def __init__(
        self, name: str, args: ObjectStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:object_storage:ObjectStorage", name, None, opts)
        self.endpoint = store_endpoint(args.settings)
        self.access_policies = {}
        self.transfer_secret = None
        self._key_arn: pulumi.Output[str] | None = None
        self.buckets = {
            bucket: pulumi.Output.from_input(bucket) for bucket in args.settings.buckets
        }
        if args.settings.mode == "s3":
            self._s3(name, args)
        elif args.settings.mode == "in_cluster" and self.endpoint is not None:
            self._in_cluster(name, args, self.endpoint)
        self.register_outputs(
            {"buckets": self.buckets, "endpoint_url": self.endpoint.url if self.endpoint else None}
        )

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
        self._key_arn = key.arn
        self.access_policies = {
            consumer: self.access_policy(grant) for consumer, grant in args.grants.items()
        }

    def access_policy(self, grant: Grant) -> pulumi.Output[str]:
        """The IAM policy allowing exactly `grant` on this stack's buckets and key (S3 only)."""
        if self._key_arn is None:
            raise ValueError("IAM policies exist only for S3 buckets (storage.mode 's3')")
        appends = [self.buckets[bucket] for bucket in grant.appends]
        reads = [self.buckets[bucket] for bucket in grant.reads]
        return pulumi.Output.all(self._key_arn, self.buckets[grant.bucket], *appends, *reads).apply(
            lambda values: _s3_policy_of(values, grant)
        )

    def _in_cluster(self, name: str, args: ObjectStorageArgs, endpoint: StoreEndpoint) -> None:
        """SeaweedFS, and each consumer's generated key in a Secret of its namespace."""
        child = pulumi.ResourceOptions(parent=self)
        secret_keys: dict[str, pulumi.Input[str]] = {}
        for consumer in args.grants:
            secret_key = random.RandomPassword(
                f"{name}-{consumer}", length=40, special=False, opts=child
            ).result
            secret_keys[consumer] = secret_key
            k8s.core.v1.Secret(
                f"{name}-{consumer}-credentials",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=endpoint.credentials_secret,
                    namespace=consumer,
                    annotations=kserve_annotations(endpoint),
                ),
                string_data={ACCESS_KEY: consumer, SECRET_KEY: secret_key},
                opts=child,
            )
        secret_keys[TRANSFER_IDENTITY] = self._transfer_keys(name, args, endpoint, child)
        SeaweedFs(
            f"{name}-seaweedfs",
            SeaweedFsArgs(
                namespace=args.namespace,
                image=args.settings.image,
                buckets=tuple(args.settings.buckets),
                volume_size_gb=args.settings.volume_size_gb,
                grants={**args.grants, TRANSFER_IDENTITY: args.transfer},
                secret_keys=secret_keys,
                consumer_namespaces=tuple(args.grants),
                monitoring_namespace=args.monitoring_namespace,
            ),
            opts=child,
        )

    def _transfer_keys(
        self,
        name: str,
        args: ObjectStorageArgs,
        endpoint: StoreEndpoint,
        child: pulumi.ResourceOptions,
    ) -> pulumi.Output[str]:
        """The promoter's key, in a Secret of the store's own namespace: no consumer namespace
        holds it, only whoever may read Secrets there (the platform's operators, CI's deploy
        identity). The endpoint is annotated on it, as KServe's annotations are on the others."""
        secret_key = random.RandomPassword(
            f"{name}-{TRANSFER_IDENTITY}", length=40, special=False, opts=child
        ).result
        k8s.core.v1.Secret(
            f"{name}-{TRANSFER_IDENTITY}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=TRANSFER_CREDENTIALS_SECRET,
                namespace=args.namespace,
                annotations=kserve_annotations(endpoint),
            ),
            string_data={ACCESS_KEY: TRANSFER_IDENTITY, SECRET_KEY: secret_key},
            opts=child,
        )
        self.transfer_secret = f"{args.namespace}/{TRANSFER_CREDENTIALS_SECRET}"
        return secret_key


def kserve_annotations(endpoint: StoreEndpoint) -> dict[str, str]:
    """Where KServe's storage initializer finds the store, read from the key Secret."""
    values = (endpoint.address, "1" if endpoint.secure else "0", endpoint.region)
    return dict(zip(KSERVE_S3_ANNOTATIONS, values, strict=True))


def _s3_policy_of(values: Sequence[str], grant: Grant) -> str:
    """`_s3_policy` of resolved outputs: the key, the bucket, then the appended and read ones."""
    split = 2 + len(grant.appends)
    return _s3_policy(values[0], values[1], grant, values[2:split], values[split:])


def _s3_policy(
    key_arn: str,
    bucket: str,
    grant: Grant,
    appends: Sequence[str] = (),
    reads: Sequence[str] = (),
) -> str:
    """One consumer's IAM policy: list and read its bucket, write only when its grant says so;
    only put objects into the buckets it appends to, only list and read the ones it reads."""
    arn = f"arn:aws:s3:::{bucket}"
    objects = ["s3:GetObject", "s3:GetObjectVersion"]
    kms = ["kms:Decrypt"]
    if grant.write or appends:
        kms += ["kms:GenerateDataKey"]
    if grant.write:
        objects += ["s3:PutObject", "s3:DeleteObject"]
    statements = [
        allow(["s3:ListBucket", "s3:GetBucketLocation"], [arn]),
        allow(objects, [f"{arn}/*"]),
    ]
    if appends:
        statements.append(allow(["s3:PutObject"], [f"arn:aws:s3:::{name}/*" for name in appends]))
    if reads:
        statements.append(allow(["s3:ListBucket"], [f"arn:aws:s3:::{name}" for name in reads]))
        statements.append(
            allow(["s3:GetObject", "s3:GetObjectVersion"], [f"arn:aws:s3:::{n}/*" for n in reads])
        )
    return policy_document(*statements, allow(kms, [key_arn]))


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
