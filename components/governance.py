"""The governance (Audit API) service: the evidence log every pipeline step and gate reports to.

Deployment contract (`mlops/governance/api.py`, `images/Dockerfile` target governance): port 8080,
`GET /healthz`, and three settings: `MLOPS_AUDIT`, `MLOPS_AUDIT_TOKENS_FILE` (a JSON map
of sha256(token) -> role, so the mounted file holds no usable token) and
`MLOPS_AUDIT_SIGNING_KEY_FILE` (an Ed25519 PKCS#8 PEM). Both files come from Secrets generated
here; the plaintext tokens leave Pulumi only as secret outputs.

SQLite keeps the log in one file on one volume: exactly one replica (enforced), recreated on
update. PostgreSQL (`database_url_secret`: a Secret with key `url`) allows replicas and a PDB.

Bearer tokens and the gateway: clients in the cluster (pipelines, gates, serving, monitoring)
call `url`, the ClusterIP Service, with `Authorization: Bearer <token>`; tenancy's
NetworkPolicies admit exactly those namespaces. Through the gateway (components/edge.py) people
sign in, and a machine client sends its identity's JWT in `X-Edge-Token` beside its Audit API
token in `Authorization`; the gateway admits appends only from the identities the stack's
`edge.routes.governance.write` names (the auditees).
"""

import json
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random
import pulumi_tls as tls

from mlops.config import environment as settings
from mlops.config.model import GovernanceConfig, Replicas
from mlops.config.namespaces import (
    COLLECTOR_AUDIT_KEY,
    COLLECTOR_AUDIT_SECRET,
    GOVERNANCE_PORTS,
    NAMESPACES,
)
from mlops.errors import BadInputError
from mlops.governance.auth import Role, token_digest

NAME = "governance"
PORT = GOVERNANCE_PORTS[0]
USER_ID = 10001  # the image's `audit` user
DATA_DIR = "/data"
TOKENS_DIR = "/etc/mlops/tokens"
SIGNING_DIR = "/etc/mlops/signing"
TOKENS_FILE = "tokens.json"
SIGNING_KEY_FILE = "ed25519.pem"
SQLITE_URL = f"sqlite:///{DATA_DIR}/audit.db"
LABELS = {
    "app.kubernetes.io/name": NAME,
    "app.kubernetes.io/component": "audit-api",
    "app.kubernetes.io/part-of": "mlops-platform",
}


@dataclass(frozen=True)
class Resources:
    cpu_request: str = "100m"
    memory_request: str = "256Mi"
    cpu_limit: str = "1"
    memory_limit: str = "512Mi"


@dataclass(frozen=True)
class GovernanceServiceArgs:
    governance: GovernanceConfig
    replicas: Replicas  # governance
    database_url_secret: pulumi.Input[str] | None = None  # needed when database is postgresql
    storage_class: str | None = None  # the SQLite volume's class; None: the cluster default
    protect_data: bool = True  # the SQLite volume holds the evidence log: no accidental delete
    resources: Resources = Resources()


class GovernanceService(pulumi.ComponentResource):
    """The Audit API: Deployment, Service, tokens and signing key."""

    url: pulumi.Output[str]
    tokens: pulumi.Output[dict[str, str]]
    tokens_file: pulumi.Output[str]
    signing_public_key: pulumi.Output[str]

    def __init__(
        self, name: str, args: GovernanceServiceArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:governance:GovernanceService", name, None, opts)
        self._args = args
        self._namespace = NAMESPACES["governance"].name
        self._replicas = _replicas(args)
        child = pulumi.ResourceOptions(parent=self)

        passwords = {
            role: random.RandomPassword(
                f"{NAME}-token-{role.value}", length=48, special=False, opts=child
            )
            for role in Role
        }
        roles = list(passwords)
        self.tokens = pulumi.Output.secret(
            pulumi.Output.all(*(p.result for p in passwords.values())).apply(
                lambda values: {
                    role.value: token for role, token in zip(roles, values, strict=True)
                }
            )
        )
        self.tokens_file = pulumi.Output.secret(
            self.tokens.apply(
                lambda tokens: json.dumps(
                    {token_digest(token): role for role, token in tokens.items()},
                    sort_keys=True,
                )
            )
        )
        signing_key = tls.PrivateKey(f"{NAME}-signing-key", algorithm="ED25519", opts=child)
        self.signing_public_key = signing_key.public_key_pem

        service_account = k8s.core.v1.ServiceAccount(
            NAME,
            metadata=self._metadata(NAME),
            automount_service_account_token=False,
            opts=child,
        )
        tokens_secret = self._secret(f"{NAME}-tokens", {TOKENS_FILE: self.tokens_file})
        signing_secret = self._secret(
            f"{NAME}-signing-key", {SIGNING_KEY_FILE: signing_key.private_key_pem_pkcs8}
        )
        dependencies: list[pulumi.Resource] = [service_account, tokens_secret, signing_secret]
        if args.governance.database == "sqlite":
            dependencies.append(self._volume())
        deployment = k8s.apps.v1.Deployment(
            NAME,
            metadata=self._metadata(NAME),
            spec=self._deployment_spec(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=dependencies),
        )
        k8s.core.v1.Service(
            NAME,
            metadata=self._metadata(NAME),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="ClusterIP",
                selector=LABELS,
                ports=[
                    k8s.core.v1.ServicePortArgs(
                        name="http", port=PORT, target_port="http", protocol="TCP"
                    )
                ],
            ),
            opts=child,
        )
        if self._replicas >= 2:
            k8s.policy.v1.PodDisruptionBudget(
                NAME,
                metadata=self._metadata(NAME),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1,
                    selector=k8s.meta.v1.LabelSelectorArgs(match_labels=LABELS),
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[deployment]),
            )
        # the evidence collector's CronJob (rendered into gitops/) reads and appends evidence
        # from its own namespace: the auditor's token, in a Secret there
        k8s.core.v1.Secret(
            COLLECTOR_AUDIT_SECRET,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=COLLECTOR_AUDIT_SECRET, namespace=NAMESPACES["collector"].name, labels=LABELS
            ),
            type="Opaque",
            string_data={
                COLLECTOR_AUDIT_KEY: self.tokens.apply(lambda tokens: tokens[Role.AUDITOR.value])
            },
            opts=child,
        )
        self.url = pulumi.Output.from_input(
            f"http://{NAME}.{self._namespace}.svc.cluster.local:{PORT}"
        )
        self.register_outputs(
            {
                "url": self.url,
                "tokens": self.tokens,
                "signing_public_key": self.signing_public_key,
            }
        )

    def _metadata(self, name: str) -> k8s.meta.v1.ObjectMetaArgs:
        return k8s.meta.v1.ObjectMetaArgs(name=name, namespace=self._namespace, labels=LABELS)

    def _secret(self, name: str, files: dict[str, pulumi.Input[str]]) -> k8s.core.v1.Secret:
        return k8s.core.v1.Secret(
            name,
            metadata=self._metadata(name),
            type="Opaque",
            string_data={key: pulumi.Output.secret(value) for key, value in files.items()},
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _volume(self) -> k8s.core.v1.PersistentVolumeClaim:
        return k8s.core.v1.PersistentVolumeClaim(
            f"{NAME}-data",
            metadata=self._metadata(f"{NAME}-data"),
            spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                access_modes=["ReadWriteOnce"],
                storage_class_name=self._args.storage_class,
                resources=k8s.core.v1.VolumeResourceRequirementsArgs(
                    requests={"storage": f"{self._args.governance.storage_size_gb}Gi"}
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, protect=self._args.protect_data),
        )

    def _database_env(self) -> k8s.core.v1.EnvVarArgs:
        if self._args.governance.database == "sqlite":
            return k8s.core.v1.EnvVarArgs(name=settings.AUDIT.name, value=SQLITE_URL)
        return k8s.core.v1.EnvVarArgs(
            name=settings.AUDIT.name,
            value_from=k8s.core.v1.EnvVarSourceArgs(
                secret_key_ref=k8s.core.v1.SecretKeySelectorArgs(
                    name=self._args.database_url_secret, key="url"
                )
            ),
        )

    def _deployment_spec(self) -> k8s.apps.v1.DeploymentSpecArgs:
        sqlite = self._args.governance.database == "sqlite"
        limits = self._args.resources
        probe = k8s.core.v1.HTTPGetActionArgs(path="/healthz", port="http")
        volumes = [
            k8s.core.v1.VolumeArgs(
                name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi")
            ),
            _secret_volume("tokens", f"{NAME}-tokens"),
            _secret_volume("signing-key", f"{NAME}-signing-key"),
        ]
        mounts = [
            k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),  # noqa: S108
            k8s.core.v1.VolumeMountArgs(name="tokens", mount_path=TOKENS_DIR, read_only=True),
            k8s.core.v1.VolumeMountArgs(name="signing-key", mount_path=SIGNING_DIR, read_only=True),
        ]
        if sqlite:
            volumes.append(
                k8s.core.v1.VolumeArgs(
                    name="data",
                    persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(
                        claim_name=f"{NAME}-data"
                    ),
                )
            )
            mounts.append(k8s.core.v1.VolumeMountArgs(name="data", mount_path=DATA_DIR))
        container = k8s.core.v1.ContainerArgs(
            name=NAME,
            image=self._args.governance.image,
            image_pull_policy="IfNotPresent",
            ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT)],
            env=[
                self._database_env(),
                k8s.core.v1.EnvVarArgs(
                    name=settings.AUDIT_TOKENS_FILE.name, value=f"{TOKENS_DIR}/{TOKENS_FILE}"
                ),
                k8s.core.v1.EnvVarArgs(
                    name=settings.AUDIT_SIGNING_KEY_FILE.name,
                    value=f"{SIGNING_DIR}/{SIGNING_KEY_FILE}",
                ),
            ],
            readiness_probe=k8s.core.v1.ProbeArgs(
                http_get=probe, period_seconds=10, failure_threshold=3
            ),
            liveness_probe=k8s.core.v1.ProbeArgs(
                http_get=probe, initial_delay_seconds=10, period_seconds=20, failure_threshold=3
            ),
            resources=k8s.core.v1.ResourceRequirementsArgs(
                requests={"cpu": limits.cpu_request, "memory": limits.memory_request},
                limits={"cpu": limits.cpu_limit, "memory": limits.memory_limit},
            ),
            security_context=k8s.core.v1.SecurityContextArgs(
                run_as_non_root=True,
                read_only_root_filesystem=True,
                allow_privilege_escalation=False,
                capabilities=k8s.core.v1.CapabilitiesArgs(drop=["ALL"]),
                seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
            ),
            volume_mounts=mounts,
        )
        spread = [
            k8s.core.v1.TopologySpreadConstraintArgs(
                max_skew=1,
                topology_key=key,
                when_unsatisfiable="ScheduleAnyway",
                label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=LABELS),
            )
            for key in ("topology.kubernetes.io/zone", "kubernetes.io/hostname")
        ]
        return k8s.apps.v1.DeploymentSpecArgs(
            replicas=self._replicas,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=LABELS),
            # one SQLite file on a ReadWriteOnce volume: the old pod goes before the new one comes
            strategy=k8s.apps.v1.DeploymentStrategyArgs(type="Recreate")
            if sqlite
            else k8s.apps.v1.DeploymentStrategyArgs(
                type="RollingUpdate",
                rolling_update=k8s.apps.v1.RollingUpdateDeploymentArgs(
                    max_surge=1, max_unavailable=0
                ),
            ),
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=LABELS),
                spec=k8s.core.v1.PodSpecArgs(
                    service_account_name=NAME,
                    automount_service_account_token=False,
                    security_context=k8s.core.v1.PodSecurityContextArgs(
                        run_as_non_root=True,
                        run_as_user=USER_ID,
                        run_as_group=USER_ID,
                        fs_group=USER_ID,
                        seccomp_profile=k8s.core.v1.SeccompProfileArgs(type="RuntimeDefault"),
                    ),
                    containers=[container],
                    volumes=volumes,
                    topology_spread_constraints=spread if self._replicas >= 2 else None,
                ),
            ),
        )


def _replicas(args: GovernanceServiceArgs) -> int:
    """Replicas from config; SQLite allows one writer on one volume, so it gets exactly one."""
    replicas = args.replicas.governance
    database = args.governance.database
    if database == "sqlite" and replicas != 1:
        raise BadInputError(
            f"replicas.governance: {replicas} with governance.database 'sqlite'; "
            "allowed: 1, or governance.database 'postgresql' for more"
        )
    if database == "postgresql" and args.database_url_secret is None:
        raise BadInputError(
            "governance.database: 'postgresql' needs the Secret holding its URL "
            "(database_url_secret, key 'url'); allowed: sqlite, or a database component"
        )
    return replicas


def _secret_volume(name: str, secret: str) -> k8s.core.v1.VolumeArgs:
    return k8s.core.v1.VolumeArgs(
        name=name,
        secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=secret, default_mode=0o440),
    )
