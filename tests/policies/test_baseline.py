"""The baseline pack: every rule passes a compliant resource and flags the one mistake it exists
for, through the pack's own analyzer (as `pulumi preview --policy-pack policies/baseline`)."""

from collections.abc import Callable

import pytest

from mlops.plan.capture import PlannedResource
from tests.policies import builders as b
from tests.policies.conftest import RunningPack, resource

Case = tuple[str, Callable[[], list[PlannedResource]], set[str]]

EKS_PUBLIC = "aws-eks-cluster-restrict-public-endpoint"
EKS_SECRETS = "aws-eks-cluster-require-secrets-encryption"
EKS_LOGS = "aws-eks-cluster-require-control-plane-logging"
GPU_TAINT = "aws-eks-nodegroup-require-gpu-taint"
IMDS = "aws-ec2-launchtemplate-require-imdsv2"
S3_PUBLIC = "aws-s3-bucket-disallow-public-access"
S3_ENCRYPTION = "aws-s3-bucket-require-encryption"
S3_VERSIONING = "aws-s3-bucket-require-versioning"
RDS_ENCRYPTION = "aws-rds-instance-require-storage-encryption"
RDS_PUBLIC = "aws-rds-instance-disallow-public-access"
RDS_BACKUPS = "aws-rds-instance-require-backups"
KMS = "aws-kms-key-require-rotation"
SG = "aws-ec2-securitygroup-disallow-open-admin-ports"
ECR_TAGS = "aws-ecr-repository-require-immutable-tags"
ECR_SCAN = "aws-ecr-repository-require-scan-on-push"
RESOURCES = "kubernetes-pod-require-resources"
PRIVILEGED = "kubernetes-pod-disallow-privileged"
READONLY = "kubernetes-pod-require-readonly-root-filesystem"
LATEST = "kubernetes-pod-disallow-latest-tag"
SECRETS = "kubernetes-pod-disallow-plaintext-secrets"
LOAD_BALANCER = "kubernetes-service-disallow-loadbalancer"
PSA = "kubernetes-namespace-require-pod-security-labels"
CHART = "kubernetes-helm-release-require-chart-version"
RETIRED = "kubernetes-ingress-disallow-retired-controller"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"


def envoy_proxy(namespace: str, service_type: str) -> PlannedResource:
    spec = {"provider": {"kubernetes": {"envoyService": {"type": service_type}}}}
    return resource(ENVOY_PROXY, "proxy", {"metadata": {"namespace": namespace}, "spec": spec})


def ingress(class_name: str, **annotations: str) -> PlannedResource:
    return resource(
        INGRESS,
        "ui",
        {
            "metadata": {"namespace": "mlflow", "annotations": annotations},
            "spec": {"ingressClassName": class_name},
        },
    )


SECRET_ENV = {"name": "DB_PASSWORD", "value": "hunter2"}
SECRET_REF = {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}}}

CASES: list[Case] = [
    # EKS
    ("eks private", lambda: [b.eks()], set()),
    (
        "eks public to an office range",
        lambda: [
            b.eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})
        ],
        set(),
    ),
    (
        "eks public, no CIDRs",
        lambda: [b.eks(vpcConfig={"endpointPublicAccess": True})],
        {EKS_PUBLIC},
    ),
    (
        "eks public by default",
        lambda: [b.eks(vpcConfig={"endpointPublicAccess": None})],
        {EKS_PUBLIC},
    ),
    (
        "eks public to 0.0.0.0/0",
        lambda: [
            b.eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]})
        ],
        {EKS_PUBLIC},
    ),
    (
        "eks public to two halves of the internet",
        lambda: [
            b.eks(
                vpcConfig={
                    "endpointPublicAccess": True,
                    "publicAccessCidrs": ["0.0.0.0/1", "128.0.0.0/1"],
                }
            )
        ],
        {EKS_PUBLIC},
    ),
    ("eks without secrets encryption", lambda: [b.eks(encryptionConfig=None)], {EKS_SECRETS}),
    (
        "eks encrypting no secrets",
        lambda: [b.eks(encryptionConfig={"resources": ["configmaps"]})],
        {EKS_SECRETS},
    ),
    ("eks without audit logs", lambda: [b.eks(enabledClusterLogTypes=["api"])], {EKS_LOGS}),
    # node groups
    ("cpu pool without taint", lambda: [b.node_group()], set()),
    (
        "gpu pool with taint",
        lambda: [b.node_group(instanceTypes=["g5.xlarge"], taints=b.GPU_TAINT)],
        set(),
    ),
    ("gpu instances untainted", lambda: [b.node_group(instanceTypes=["g5.xlarge"])], {GPU_TAINT}),
    (
        "gpu AMI untainted",
        lambda: [b.node_group(amiType="AL2023_x86_64_NVIDIA")],
        {GPU_TAINT},
    ),
    (
        "gpu pool with a PreferNoSchedule taint",
        lambda: [
            b.node_group(
                instanceTypes=["p4d.24xlarge"],
                taints=[{"key": "nvidia.com/gpu", "effect": "PREFER_NO_SCHEDULE"}],
            )
        ],
        {GPU_TAINT},
    ),
    # IMDS
    ("imdsv2 required", lambda: [b.launch_template()], set()),
    (
        "imdsv1 allowed",
        lambda: [b.launch_template(metadataOptions={"httpTokens": "optional"})],
        {IMDS},
    ),
    ("imds unset", lambda: [b.launch_template(metadataOptions=None)], {IMDS}),
    (
        "instance with imdsv1",
        lambda: [resource("aws:ec2/instance:Instance", "vm", {"ami": "ami-1"})],
        {IMDS},
    ),
    # S3 (stack policies across the split resources)
    ("bucket fully configured", b.bucket_stack, set()),
    ("bucket without access block", lambda: b.bucket_stack(with_block=False), {S3_PUBLIC}),
    (
        "bucket access block with a switch off",
        lambda: b.bucket_stack(block={"restrictPublicBuckets": False}),
        {S3_PUBLIC},
    ),
    ("bucket with a public ACL", lambda: b.bucket_stack(acl="public-read"), {S3_PUBLIC}),
    ("bucket without encryption", lambda: b.bucket_stack(encryption=None), {S3_ENCRYPTION}),
    ("bucket with SSE-S3 only", lambda: b.bucket_stack(encryption="AES256"), {S3_ENCRYPTION}),
    ("bucket without versioning", lambda: b.bucket_stack(versioning=None), {S3_VERSIONING}),
    (
        "bucket versioning suspended",
        lambda: b.bucket_stack(versioning="Suspended"),
        {S3_VERSIONING},
    ),
    (
        "settings of another bucket do not count",
        lambda: (
            b.bucket_stack("a")
            + [r for r in b.bucket_stack("b") if r.type == "aws:s3/bucket:Bucket"]
        ),
        {S3_PUBLIC, S3_ENCRYPTION, S3_VERSIONING},
    ),
    # RDS
    ("rds compliant", lambda: [b.rds()], set()),
    ("rds unencrypted", lambda: [b.rds(storageEncrypted=False)], {RDS_ENCRYPTION}),
    ("rds public", lambda: [b.rds(publiclyAccessible=True)], {RDS_PUBLIC}),
    ("rds one day of backups", lambda: [b.rds(backupRetentionPeriod=1)], {RDS_BACKUPS}),
    ("rds backups unset", lambda: [b.rds(backupRetentionPeriod=None)], {RDS_BACKUPS}),
    # KMS
    ("kms rotating", lambda: [b.kms()], set()),
    ("kms not rotating", lambda: [b.kms(enableKeyRotation=False)], {KMS}),
    ("asymmetric kms key", lambda: [b.kms(enableKeyRotation=None, keySpec="RSA_2048")], set()),
    # security groups
    (
        "postgres from the VPC, https from anywhere",
        lambda: [
            b.security_group(b.rule(5432, 5432, "10.0.0.0/16"), b.rule(443, 443, "0.0.0.0/0"))
        ],
        set(),
    ),
    ("ssh from anywhere", lambda: [b.security_group(b.rule(22, 22, "0.0.0.0/0"))], {SG}),
    (
        "all traffic from anywhere over IPv6",
        lambda: [b.security_group(b.rule(0, 0, "::/0", protocol="-1"))],
        {SG},
    ),
    (
        "a port range covering postgres",
        lambda: [
            resource(
                "aws:ec2/securityGroupRule:SecurityGroupRule",
                "r",
                {"type": "ingress", **b.rule(5000, 6000, "0.0.0.0/0")},
            )
        ],
        {SG},
    ),
    (
        "rdp through a standalone ingress rule",
        lambda: [
            resource(
                "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                "r",
                {"fromPort": 3389, "toPort": 3389, "ipProtocol": "tcp", "cidrIpv4": "0.0.0.0/0"},
            )
        ],
        {SG},
    ),
    # ECR
    ("ecr compliant", lambda: [b.ecr()], set()),
    ("ecr mutable tags", lambda: [b.ecr(imageTagMutability="MUTABLE")], {ECR_TAGS}),
    ("ecr without scanning", lambda: [b.ecr(imageScanningConfiguration=None)], {ECR_SCAN}),
    # Kubernetes workloads
    ("compliant pod", lambda: [b.pod()], set()),
    ("compliant deployment", lambda: [b.deployment()], set()),
    (
        "container without cpu limit",
        lambda: [b.pod(b.container(resources={"limits": {"cpu": None}}))],
        {RESOURCES},
    ),
    (
        "cronjob container without resources",
        lambda: [
            resource(
                "kubernetes:batch/v1:CronJob",
                "job",
                {
                    "spec": {
                        "jobTemplate": {
                            "spec": {
                                "template": {"spec": {"containers": [b.container(resources=None)]}}
                            }
                        }
                    }
                },
            )
        ],
        {RESOURCES},
    ),
    (
        "helm values with requests only",
        lambda: [b.helm({"server": {"resources": {"requests": {"cpu": "1", "memory": "1Gi"}}}})],
        {RESOURCES},
    ),
    (
        "helm volume claim resources are not a container's",
        lambda: [b.helm({"storage": {"resources": {"requests": {"storage": "50Gi"}}}})],
        set(),
    ),
    (
        "privileged container",
        lambda: [b.pod(b.container(securityContext={"privileged": True}))],
        {PRIVILEGED},
    ),
    (
        "privileged in helm values",
        lambda: [b.helm({"agent": {"securityContext": {"privileged": True}}})],
        {PRIVILEGED},
    ),
    (
        "writable root filesystem",
        lambda: [b.pod(b.container(securityContext={"readOnlyRootFilesystem": None}))],
        {READONLY},
    ),
    (
        "kserve runtime with a writable root",
        lambda: [
            resource(
                "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime",
                "runtime",
                {
                    "spec": {
                        "containers": [
                            b.container(securityContext={"readOnlyRootFilesystem": False})
                        ]
                    }
                },
            )
        ],
        {READONLY},
    ),
    (
        "helm values with readOnlyRootFilesystem false",
        lambda: [b.helm({"securityContext": {"readOnlyRootFilesystem": False}})],
        {READONLY},
    ),
    (
        "image pinned by digest",
        lambda: [b.pod(b.container(image=f"{b.ECR}/x@sha256:" + "a" * 64))],
        set(),
    ),
    ("untagged image", lambda: [b.pod(b.container(image="nginx"))], {LATEST}),
    ("latest image", lambda: [b.pod(b.container(image="registry.k8s.io/pause:latest"))], {LATEST}),
    (
        "helm image tag latest",
        lambda: [b.helm({"image": {"repository": "bitnami/redis", "tag": "latest"}})],
        {LATEST},
    ),
    (
        "helm image keeping the chart's tag",
        lambda: [b.helm({"image": {"repository": "quay.io/prometheus/prometheus"}})],
        set(),
    ),
    ("password from a secret", lambda: [b.pod(b.container(env=[SECRET_REF]))], set()),
    ("literal password in env", lambda: [b.pod(b.container(env=[SECRET_ENV]))], {SECRETS}),
    (
        "helm values with a literal admin password",
        lambda: [b.helm({"grafana": {"adminPassword": "admin"}})],
        {SECRETS},
    ),
    (
        "helm values referencing an existing secret",
        lambda: [b.helm({"auth": {"existingSecret": "db", "existingSecretPasswordKey": "pw"}})],
        set(),
    ),
    (
        "configmap holding a token",
        lambda: [resource("kubernetes:core/v1:ConfigMap", "cm", {"data": {"api_token": "abc"}})],
        {SECRETS},
    ),
    (
        "load balancer in the gateway namespace",
        lambda: [
            b.helm(
                {"controller": {"service": {"type": "LoadBalancer"}}},
                namespace="envoy-gateway-system",
            )
        ],
        set(),
    ),
    (
        "load balancer service for a model",
        lambda: [
            resource(
                "kubernetes:core/v1:Service",
                "svc",
                {"metadata": {"namespace": "models"}, "spec": {"type": "LoadBalancer"}},
            )
        ],
        {LOAD_BALANCER},
    ),
    (
        "load balancer in helm values elsewhere",
        lambda: [b.helm({"grafana": {"service": {"type": "LoadBalancer"}}})],
        {LOAD_BALANCER},
    ),
    (
        "the gateway's proxies behind a load balancer",
        lambda: [envoy_proxy("envoy-gateway-system", "LoadBalancer")],
        set(),
    ),
    ("gateway proxies elsewhere", lambda: [envoy_proxy("models", "LoadBalancer")], {LOAD_BALANCER}),
    ("gateway proxies on a node port", lambda: [envoy_proxy("models", "NodePort")], set()),
    # the retired ingress-nginx controller
    ("ingress-nginx chart", lambda: [b.helm({}, chart="ingress-nginx")], {RETIRED}),
    (
        "ingress-nginx chart from its repository",
        lambda: [b.helm({}, chart="https://kubernetes.github.io/ingress-nginx/ingress-nginx")],
        {RETIRED},
    ),
    ("ingress of the nginx class", lambda: [ingress("nginx")], {RETIRED}),
    (
        "ingress with nginx annotations",
        lambda: [ingress("other", **{"nginx.ingress.kubernetes.io/auth-url": "http://x"})],
        {RETIRED},
    ),
    ("ingress of another controller", lambda: [ingress("other")], set()),
    (
        "ingress-nginx's IngressClass",
        lambda: [
            resource(
                "kubernetes:networking.k8s.io/v1:IngressClass",
                "nginx",
                {"spec": {"controller": "k8s.io/ingress-nginx"}},
            )
        ],
        {RETIRED},
    ),
    (
        "a chart's ingress turned on for nginx",
        lambda: [b.helm({"server": {"ingress": {"enabled": True, "ingressClassName": "nginx"}}})],
        {RETIRED},
    ),
    (
        "a chart's ingress left off",
        lambda: [b.helm({"server": {"ingress": {"enabled": False, "ingressClassName": "nginx"}}})],
        set(),
    ),
    # namespaces and charts
    ("labelled namespace", lambda: [b.namespace()], set()),
    (
        "namespace without warn label",
        lambda: [b.namespace(**{"pod-security.kubernetes.io/warn": ""})],
        {PSA},
    ),
    (
        "namespace with an unknown level",
        lambda: [b.namespace(**{"pod-security.kubernetes.io/enforce": "strict"})],
        {PSA},
    ),
    ("chart version range", lambda: [b.helm({}, version="^1.2")], {CHART}),
    ("chart version missing", lambda: [b.helm({}, version=None)], {CHART}),
]


@pytest.mark.parametrize(
    ("resources", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rule(
    baseline: RunningPack, resources: Callable[[], list[PlannedResource]], expected: set[str]
) -> None:
    assert baseline.rules_hit(resources()) == expected


def test_every_baseline_rule_has_a_failing_case() -> None:
    flagged = set().union(*(expected for _, _, expected in CASES))
    assert flagged == {
        EKS_PUBLIC, EKS_SECRETS, EKS_LOGS, GPU_TAINT, IMDS, S3_PUBLIC, S3_ENCRYPTION,
        S3_VERSIONING, RDS_ENCRYPTION, RDS_PUBLIC, RDS_BACKUPS, KMS, SG, ECR_TAGS, ECR_SCAN,
        RESOURCES, PRIVILEGED, READONLY, LATEST, SECRETS, LOAD_BALANCER, PSA, CHART, RETIRED,
    }  # fmt: skip


def test_the_pack_declares_exactly_these_rules(baseline: RunningPack) -> None:
    assert len(baseline.specs) == 24
    assert all(name.startswith(("aws-", "kubernetes-")) for name in baseline.specs)
    assert all(spec.fix for spec in baseline.specs.values())
    assert baseline.specs[READONLY].enforcement == "advisory"
    assert {s.name for s in baseline.specs.values() if s.kind == "stack"} == {
        S3_PUBLIC, S3_ENCRYPTION, S3_VERSIONING,
    }  # fmt: skip


def test_config_changes_thresholds(baseline: RunningPack) -> None:
    db = [b.rds(backupRetentionPeriod=7)]
    assert baseline.rules_hit(db, **{RDS_BACKUPS: {"minRetentionDays": 14}}) == {RDS_BACKUPS}
    cluster = [b.eks(enabledClusterLogTypes=["api"])]
    assert baseline.rules_hit(cluster, **{EKS_LOGS: {"requiredLogTypes": ["api"]}}) == set()
    office = [b.eks(vpcConfig={"endpointPublicAccess": True, "publicAccessCidrs": ["10.0.0.0/8"]})]
    assert baseline.rules_hit(office) == {EKS_PUBLIC}
    assert baseline.rules_hit(office, **{EKS_PUBLIC: {"minPrefixLength": 8}}) == set()


def test_messages_say_what_and_where(baseline: RunningPack) -> None:
    found = baseline.violations(b.bucket_stack("scratch", block={"blockPublicPolicy": False}))
    assert found == [
        (
            S3_PUBLIC,
            "scratch",
            "S3 buckets block every form of public access.\nbucket 'scratch': public access "
            "block 'scratch' leaves blockPublicPolicy off",
        )
    ]
