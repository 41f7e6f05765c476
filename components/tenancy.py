"""Tenancy and security: namespaces per plane, Pod Security labels, RBAC roles, quotas and
NetworkPolicies (default deny with explicit allows), all derived from the namespace catalog."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from mlops.config.model import AccessConfig, GpuConfig, SecurityConfig, TenancyConfig
from mlops.config.namespaces import (
    NAMESPACES,
    ExternalFlow,
    PlatformNamespace,
    effective_pod_security,
    flows_between,
)

PLANE_LABEL = "mlops.platform/plane"
ENVIRONMENT_LABEL = "mlops.platform/environment"
DNS_PORT = 53
API_SERVER_PORTS = (443, 6443)

READ_VERBS = ["get", "list", "watch"]
WRITE_VERBS = [*READ_VERBS, "create", "update", "patch", "delete"]

# What each platform role may do inside the namespaces it is bound to. Nobody but CI writes in
# serving namespaces through Kubernetes: models reach them through Git and Argo CD.
ROLE_RULES: dict[str, list[dict[str, object]]] = {
    "data-scientist": [
        {
            "apiGroups": [""],
            "resources": ["pods", "pods/log", "services", "configmaps"],
            "verbs": READ_VERBS,
        },
        {
            "apiGroups": ["argoproj.io", "kubeflow.org"],
            "resources": ["workflows", "notebooks"],
            "verbs": WRITE_VERBS,
        },
    ],
    "ml-engineer": [
        {
            "apiGroups": [""],
            "resources": ["pods", "pods/log", "services", "configmaps", "events"],
            "verbs": READ_VERBS,
        },
        {"apiGroups": ["apps"], "resources": ["deployments", "replicasets"], "verbs": READ_VERBS},
        {
            "apiGroups": ["argoproj.io", "kubeflow.org"],
            "resources": ["workflows", "notebooks"],
            "verbs": WRITE_VERBS,
        },
        {
            "apiGroups": ["serving.kserve.io"],
            "resources": ["inferenceservices"],
            "verbs": READ_VERBS,
        },
    ],
    "auditor": [
        {
            "apiGroups": ["", "apps", "serving.kserve.io", "argoproj.io"],
            "resources": [
                "pods",
                "services",
                "deployments",
                "inferenceservices",
                "applications",
                "events",
            ],
            "verbs": READ_VERBS,
        },
    ],
    "ci": [
        {
            "apiGroups": [""],
            "resources": ["pods", "pods/log", "services", "configmaps"],
            "verbs": READ_VERBS,
        },
        {"apiGroups": ["argoproj.io"], "resources": ["workflows"], "verbs": WRITE_VERBS},
        {
            "apiGroups": ["serving.kserve.io"],
            "resources": ["inferenceservices"],
            "verbs": READ_VERBS,
        },
    ],
}


@dataclass(frozen=True)
class TenancyArgs:
    environment: str
    namespaces: tuple[str, ...]  # keys of NAMESPACES that this stack installs
    security: SecurityConfig
    tenancy: TenancyConfig
    gpu: GpuConfig
    access: AccessConfig
    external_flows: tuple[ExternalFlow, ...] = ()  # services outside the cluster (RDS)
    # Where the API server calls webhooks from (the VPC); None: anywhere (an existing cluster)
    control_plane_cidr: str | None = None


class Tenancy(pulumi.ComponentResource):
    """Every namespace of the platform, with the guard rails each one needs."""

    namespace_names: dict[str, str]

    def __init__(
        self, name: str, args: TenancyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:tenancy:Tenancy", name, None, opts)
        self._args = args
        self.namespace_names = {key: NAMESPACES[key].name for key in args.namespaces}
        for role in args.access.groups:
            self._cluster_role(role)
        for key in args.namespaces:
            namespace = NAMESPACES[key]
            created = self._namespace(namespace)
            scoped = pulumi.ResourceOptions(parent=self, depends_on=[created])
            if namespace.workloads:
                self._quotas(key, namespace, scoped)
            if args.security.default_deny_network_policies:
                self._network_policies(key, namespace, scoped)
            for role, bound in args.access.bindings.items():
                if key in bound:
                    self._role_binding(role, namespace, scoped)
        self.register_outputs({"namespaces": self.namespace_names})

    def _namespace(self, namespace: PlatformNamespace) -> k8s.core.v1.Namespace:
        level = effective_pod_security(namespace, self._args.security.pod_security_level)
        strictest = self._args.security.pod_security_level
        return k8s.core.v1.Namespace(
            namespace.name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=namespace.name,
                labels={
                    PLANE_LABEL: namespace.plane,
                    ENVIRONMENT_LABEL: self._args.environment,
                    "pod-security.kubernetes.io/enforce": level,
                    "pod-security.kubernetes.io/audit": strictest,
                    "pod-security.kubernetes.io/warn": strictest,
                },
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _quotas(self, key: str, namespace: PlatformNamespace, opts: pulumi.ResourceOptions) -> None:
        limits = self._args.tenancy
        hard = {"requests.cpu": limits.cpu_quota, "requests.memory": limits.memory_quota}
        hard["requests.nvidia.com/gpu"] = str(self._args.gpu.namespace_quotas.get(key, 0))
        k8s.core.v1.ResourceQuota(
            f"{namespace.name}-quota",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="platform-quota", namespace=namespace.name),
            spec=k8s.core.v1.ResourceQuotaSpecArgs(hard=hard),
            opts=opts,
        )
        k8s.core.v1.LimitRange(
            f"{namespace.name}-limits",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="platform-defaults", namespace=namespace.name),
            spec=k8s.core.v1.LimitRangeSpecArgs(
                limits=[
                    k8s.core.v1.LimitRangeItemArgs(
                        type="Container",
                        default_request={
                            "cpu": limits.default_cpu_request,
                            "memory": limits.default_memory_request,
                        },
                        default={
                            "cpu": limits.default_cpu_limit,
                            "memory": limits.default_memory_limit,
                        },
                    )
                ]
            ),
            opts=opts,
        )

    def _network_policies(
        self, key: str, namespace: PlatformNamespace, opts: pulumi.ResourceOptions
    ) -> None:
        def policy(suffix: str, spec: k8s.networking.v1.NetworkPolicySpecArgs) -> None:
            k8s.networking.v1.NetworkPolicy(
                f"{namespace.name}-{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=suffix, namespace=namespace.name),
                spec=spec,
                opts=opts,
            )

        everything = k8s.meta.v1.LabelSelectorArgs()
        policy(
            "default-deny",
            k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything, policy_types=["Ingress", "Egress"]
            ),
        )
        same_namespace = [k8s.networking.v1.NetworkPolicyPeerArgs(pod_selector=everything)]
        policy(
            "allow-same-namespace",
            k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything,
                policy_types=["Ingress", "Egress"],
                ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=same_namespace)],
                egress=[k8s.networking.v1.NetworkPolicyEgressRuleArgs(to=same_namespace)],
            ),
        )
        policy(
            "allow-dns-and-api-server",
            k8s.networking.v1.NetworkPolicySpecArgs(
                pod_selector=everything,
                policy_types=["Egress"],
                egress=[
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                        to=[_namespace_peer("kube-system")],
                        ports=_ports((DNS_PORT,), "UDP") + _ports((DNS_PORT,), "TCP"),
                    ),
                    k8s.networking.v1.NetworkPolicyEgressRuleArgs(ports=_ports(API_SERVER_PORTS)),
                ],
            ),
        )
        for flow in flows_between(self._args.namespaces):
            if flow.destination == key:
                source = NAMESPACES[flow.source].name
                rule = k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                    from_=[_namespace_peer(source)], ports=_ports(flow.ports) or None
                )
                policy(
                    f"allow-from-{source}",
                    k8s.networking.v1.NetworkPolicySpecArgs(
                        pod_selector=everything, policy_types=["Ingress"], ingress=[rule]
                    ),
                )
            if flow.source == key:
                destination = NAMESPACES[flow.destination].name
                egress = k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[_namespace_peer(destination)], ports=_ports(flow.ports) or None
                )
                policy(
                    f"allow-to-{destination}",
                    k8s.networking.v1.NetworkPolicySpecArgs(
                        pod_selector=everything, policy_types=["Egress"], egress=[egress]
                    ),
                )
        if namespace.public_ports:  # the front door: clients arrive from anywhere
            policy(
                "allow-from-anywhere",
                k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=everything,
                    policy_types=["Ingress"],
                    ingress=[
                        k8s.networking.v1.NetworkPolicyIngressRuleArgs(
                            ports=_ports(namespace.public_ports)
                        )
                    ],
                ),
            )
        if namespace.webhooks:  # admission webhooks fail closed when the API server is denied
            cidr = self._args.control_plane_cidr
            sources = (
                [
                    k8s.networking.v1.NetworkPolicyPeerArgs(
                        ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)
                    )
                ]
                if cidr
                else None
            )
            policy(
                "allow-from-api-server",
                k8s.networking.v1.NetworkPolicySpecArgs(
                    pod_selector=everything,
                    policy_types=["Ingress"],
                    ingress=[k8s.networking.v1.NetworkPolicyIngressRuleArgs(from_=sources)],
                ),
            )
        for external in self._args.external_flows:
            if external.source == key:
                peer = k8s.networking.v1.NetworkPolicyPeerArgs(
                    ip_block=k8s.networking.v1.IPBlockArgs(cidr=external.cidr)
                )
                egress = k8s.networking.v1.NetworkPolicyEgressRuleArgs(
                    to=[peer], ports=_ports(external.ports)
                )
                policy(
                    f"allow-to-{external.name}",
                    k8s.networking.v1.NetworkPolicySpecArgs(
                        pod_selector=everything, policy_types=["Egress"], egress=[egress]
                    ),
                )

    def _cluster_role(self, role: str) -> None:
        k8s.rbac.v1.ClusterRole(
            f"role-{role}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"mlops-{role}"),
            rules=ROLE_RULES[role],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role_binding(
        self, role: str, namespace: PlatformNamespace, opts: pulumi.ResourceOptions
    ) -> None:
        k8s.rbac.v1.RoleBinding(
            f"{namespace.name}-{role}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"mlops-{role}", namespace=namespace.name),
            role_ref=k8s.rbac.v1.RoleRefArgs(
                api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=f"mlops-{role}"
            ),
            subjects=[
                k8s.rbac.v1.SubjectArgs(
                    api_group="rbac.authorization.k8s.io",
                    kind="Group",
                    name=self._args.access.groups[role],
                )
            ],
            opts=opts,
        )


def _namespace_peer(name: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        namespace_selector=k8s.meta.v1.LabelSelectorArgs(
            match_labels={"kubernetes.io/metadata.name": name}
        )
    )


def _ports(
    ports: tuple[int, ...], protocol: str = "TCP"
) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol) for port in ports]
