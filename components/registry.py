"""Container registry for the platform's own images (governance service, predictor, pipeline
components): ECR with immutable tags and scan on push, or a registry inside the cluster."""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.helm import pinned_release
from components.kms import rotating_key
from mlops.config.model import ChartPin, RegistryConfig

REGISTRY_PORT = 5000
UNTAGGED_IMAGE_DAYS = 14


@dataclass(frozen=True)
class RegistryArgs:
    cluster_name: str
    settings: RegistryConfig
    namespace: str
    docker_registry_chart: ChartPin
    tags: dict[str, str]
    storage_size_gb: int = 50


class ContainerRegistry(pulumi.ComponentResource):
    """`url` is the prefix images are pulled from: `<url>/<repository>:<tag>`."""

    url: pulumi.Output[str]
    repository_urls: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:registry:ContainerRegistry", name, None, opts)
        if args.settings.mode == "ecr":
            self._ecr(name, args)
        else:
            self._in_cluster(name, args)
        self.register_outputs({"url": self.url, "repository_urls": self.repository_urls})

    def _ecr(self, name: str, args: RegistryArgs) -> None:
        child = pulumi.ResourceOptions(parent=self)
        key = rotating_key(
            f"{name}-images", f"{args.cluster_name}: container images", args.tags, child
        )
        self.repository_urls = {}
        for repository_name in args.settings.repositories:
            repository = aws.ecr.Repository(
                f"{name}-{repository_name}",
                name=f"{args.cluster_name}/{repository_name}",
                image_tag_mutability="IMMUTABLE",
                image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                    scan_on_push=True
                ),
                encryption_configurations=[
                    aws.ecr.RepositoryEncryptionConfigurationArgs(
                        encryption_type="KMS", kms_key=key.arn
                    )
                ],
                force_delete=False,
                tags=args.tags,
                opts=child,
            )
            aws.ecr.LifecyclePolicy(
                f"{name}-{repository_name}",
                repository=repository.name,
                policy=json.dumps(
                    {
                        "rules": [
                            {
                                "rulePriority": 1,
                                "description": "expire untagged images",
                                "selection": {
                                    "tagStatus": "untagged",
                                    "countType": "sinceImagePushed",
                                    "countUnit": "days",
                                    "countNumber": UNTAGGED_IMAGE_DAYS,
                                },
                                "action": {"type": "expire"},
                            }
                        ]
                    }
                ),
                opts=child,
            )
            self.repository_urls[repository_name] = repository.repository_url
        first = next(iter(self.repository_urls.values()))
        self.url = first.apply(lambda url: url.split("/", 1)[0])

    def _in_cluster(self, name: str, args: RegistryArgs) -> None:
        pinned_release(
            f"{name}-docker-registry",
            args.docker_registry_chart,
            args.namespace,
            values={
                "fullnameOverride": "registry",
                "replicaCount": 1,
                "persistence": {"enabled": True, "size": f"{args.storage_size_gb}Gi"},
                "service": {"type": "ClusterIP", "port": REGISTRY_PORT},
                "resources": {
                    "requests": {"cpu": "100m", "memory": "256Mi"},
                    "limits": {"cpu": "1", "memory": "1Gi"},
                },
                "securityContext": {"enabled": True, "runAsUser": 1000, "fsGroup": 1000},
                "metrics": {"enabled": True, "serviceMonitor": {"enabled": True}},
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        host = f"registry.{args.namespace}.svc.cluster.local:{REGISTRY_PORT}"
        self.url = pulumi.Output.from_input(host)
        self.repository_urls = {
            repository: pulumi.Output.from_input(f"{host}/{repository}")
            for repository in args.settings.repositories
        }
