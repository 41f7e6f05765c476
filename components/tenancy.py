"""Tenancy and security: namespaces per plane, Pod Security labels, RBAC roles, quotas and
NetworkPolicies (default deny with explicit allows), all derived from the namespace catalog."""

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from mlops.config.model import AccessConfig, GpuConfig, Role, SecurityConfig, TenancyConfig
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
Peers = list[k8s.networking.v1.NetworkPolicyPeerArgs]
Rule = k8s.rbac.v1.PolicyRuleArgs

READ_VERBS = ["get", "list", "watch"]
WRITE_VERBS = [*READ_VERBS, "create", "update", "patch", "delete"]

# What each platform role may do inside the namespaces it is bound to. Nobody but CI writes in
# serving namespaces through Kubernetes: models reach them through Git and Argo CD.
ROLE_RULES: dict[Role, list[Rule]] = {
    "data-scientist": [
        Rule(
            api_groups=[""],
            resources=["pods", "pods/log", "services", "configmaps"],
            verbs=READ_VERBS,
        ),
        Rule(
            api_groups=["argoproj.io", "kubeflow.org"],
            resources=["workflows", "notebooks"],
            verbs=WRITE_VERBS,
        ),
    ],
    "ml-engineer": [
        Rule(
            api_groups=[""],
            resources=["pods", "pods/log", "services", "configmaps", "events"],
            verbs=READ_VERBS,
        ),
        Rule(api_groups=["apps"], resources=["deployments", "replicasets"], verbs=READ_VERBS),
        Rule(
            api_groups=["argoproj.io", "kubeflow.org"],
            resources=["workflows", "notebooks"],
            verbs=WRITE_VERBS,
        ),
        Rule(api_groups=["serving.kserve.io"], resources=["inferenceservices"], verbs=READ_VERBS),
    ],
    "auditor": [
        Rule(
            api_groups=["", "apps", "serving.kserve.io", "argoproj.io"],
            resources=[
                "pods",
                "services",
                "deployments",
                "inferenceservices",
                "applications",
                "events",
            ],
            verbs=READ_VERBS,
        ),
    ],
    "ci": [
        Rule(
            api_groups=[""],
            resources=["pods", "pods/log", "services", "configmaps"],
            verbs=READ_VERBS,
        ),
        Rule(api_groups=["argoproj.io"], resources=["workflows"], verbs=WRITE_VERBS),
        Rule(api_groups=["serving.kserve.io"], resources=["inferenceservices"], verbs=READ_VERBS),
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
        """Default deny, then one policy per allowed way in or out (named after it)."""
        net = k8s.networking.v1
        everything = k8s.meta.v1.LabelSelectorArgs()

        def policy(
            suffix: str,
            types: list[str],
            ingress: list[net.NetworkPolicyIngressRuleArgs] | None = None,
            egress: list[net.NetworkPolicyEgressRuleArgs] | None = None,
        ) -> None:
            net.NetworkPolicy(
                f"{namespace.name}-{suffix}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=suffix, namespace=namespace.name),
                spec=net.NetworkPolicySpecArgs(
                    pod_selector=everything, policy_types=types, ingress=ingress, egress=egress
                ),
                opts=opts,
            )

        def allow_in(suffix: str, sources: Peers | None, ports: tuple[int, ...] = ()) -> None:
            rule = net.NetworkPolicyIngressRuleArgs(from_=sources, ports=_ports(ports) or None)
            policy(suffix, ["Ingress"], ingress=[rule])

        def allow_out(suffix: str, destinations: Peers, ports: tuple[int, ...] = ()) -> None:
            rule = net.NetworkPolicyEgressRuleArgs(to=destinations, ports=_ports(ports) or None)
            policy(suffix, ["Egress"], egress=[rule])

        policy("default-deny", ["Ingress", "Egress"])
        same_namespace = [net.NetworkPolicyPeerArgs(pod_selector=everything)]
        policy(
            "allow-same-namespace",
            ["Ingress", "Egress"],
            ingress=[net.NetworkPolicyIngressRuleArgs(from_=same_namespace)],
            egress=[net.NetworkPolicyEgressRuleArgs(to=same_namespace)],
        )
        policy(
            "allow-dns-and-api-server",
            ["Egress"],
            egress=[
                net.NetworkPolicyEgressRuleArgs(
                    to=[_namespace_peer("kube-system")],
                    ports=_ports((DNS_PORT,), "UDP") + _ports((DNS_PORT,), "TCP"),
                ),
                net.NetworkPolicyEgressRuleArgs(ports=_ports(API_SERVER_PORTS)),
            ],
        )
        for flow in flows_between(self._args.namespaces):
            if flow.destination == key:
                source = NAMESPACES[flow.source].name
                allow_in(f"allow-from-{source}", [_namespace_peer(source)], flow.ports)
            if flow.source == key:
                destination = NAMESPACES[flow.destination].name
                allow_out(f"allow-to-{destination}", [_namespace_peer(destination)], flow.ports)
        if namespace.public_ports:  # the front door: clients arrive from anywhere
            allow_in("allow-from-anywhere", None, namespace.public_ports)
        if namespace.webhooks:  # admission webhooks fail closed when the API server is denied
            cidr = self._args.control_plane_cidr
            allow_in("allow-from-api-server", [_cidr_peer(cidr)] if cidr else None)
        for external in self._args.external_flows:
            if external.source == key:
                allow_out(f"allow-to-{external.name}", [_cidr_peer(external.cidr)], external.ports)

    def _cluster_role(self, role: Role) -> None:
        k8s.rbac.v1.ClusterRole(
            f"role-{role}",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"mlops-{role}"),
            rules=ROLE_RULES[role],
            opts=pulumi.ResourceOptions(parent=self),
        )

    def _role_binding(
        self, role: Role, namespace: PlatformNamespace, opts: pulumi.ResourceOptions
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


def _cidr_peer(cidr: str) -> k8s.networking.v1.NetworkPolicyPeerArgs:
    return k8s.networking.v1.NetworkPolicyPeerArgs(
        ip_block=k8s.networking.v1.IPBlockArgs(cidr=cidr)
    )


def _ports(
    ports: tuple[int, ...], protocol: str = "TCP"
) -> list[k8s.networking.v1.NetworkPolicyPortArgs]:
    return [k8s.networking.v1.NetworkPolicyPortArgs(port=port, protocol=protocol) for port in ports]
