"""The checks preflight runs over everything a stack installs (rendered charts and trees, and
the Kubernetes objects the Pulumi program declares itself)."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jsonschema

from mlops.manifests import schema
from mlops.preflight import images, podsecurity
from mlops.preflight.findings import Finding
from mlops.preflight.installs import StackInstalls
from mlops.preflight.objects import Rendered

CRD = "CustomResourceDefinition"
BUILT_IN_CLUSTER_ROLES = {"cluster-admin", "admin", "edit", "view"}
GATEWAY_GROUP = "gateway.networking.k8s.io"


class CrdIndex:
    """The CRDs the stack installs: which install provides each kind, and its strict schema."""

    def __init__(self, objects: Iterable[Rendered]) -> None:
        self.providers: dict[tuple[str, str], list[Rendered]] = {}
        self._schemas: dict[tuple[str, str], dict[str, Any]] = {}
        self._validators: dict[tuple[str, str], Callable[[Any], Any]] = {}
        for item in objects:
            if item.kind != CRD:
                continue
            spec = item.manifest.get("spec") or {}
            kind = (spec.get("names") or {}).get("kind", "")
            self.providers.setdefault((spec.get("group", ""), kind), []).append(item)
            for version in spec.get("versions") or []:
                found = (version.get("schema") or {}).get("openAPIV3Schema")
                api_version = f"{spec.get('group')}/{version.get('name')}"
                if found is not None:
                    self._schemas[(api_version, kind)] = found

    def errors(self, item: Rendered) -> list[str] | None:
        """Schema violations of a custom resource, or None when no installed CRD defines it."""
        key = (item.api_version, item.kind)
        if key not in self._schemas:
            return None
        if key not in self._validators:
            strict = schema._strict(self._schemas[key], top=True)
            self._validators[key] = jsonschema.Draft7Validator(strict).iter_errors
        return [
            f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in self._validators[key](item.manifest)
        ]


def check_schemas(objects: list[Rendered], crds: CrdIndex) -> Iterator[Finding]:
    """Every object valid against its schema: core kinds at the stack's Kubernetes version,
    custom kinds against the CRD the stack installs (or the vendored one)."""
    for item in objects:
        errors = crds.errors(item)
        if errors is None:
            if not schema.is_core_kind(item.api_version, item.kind) and not schema.has_crd(
                item.api_version, item.kind
            ):
                continue  # no CRD anywhere: reported by check_install_steps
            errors = schema.validation_errors(item.manifest)
        for error in errors:
            yield Finding(item.install, "schema", item.subject, error)


def check_crd_order(
    objects: list[Rendered], crds: CrdIndex, stack: StackInstalls
) -> Iterator[Finding]:
    """A custom resource is created only after its CRD: in the same Helm release only when the
    CRD is in the chart's crds/ folder; from another install only when its own install waits
    for that one."""
    for item in objects:
        if schema.is_core_kind(item.api_version, item.kind):
            continue
        providers = crds.providers.get((item.group, item.kind), [])
        if not providers:
            continue
        if any(p.urn == item.urn for p in providers):
            if not any(p.urn == item.urn and p.from_crds_dir for p in providers):
                yield Finding(
                    item.install,
                    "crd-order",
                    item.subject,
                    f"its CRD is a template of the same release ({item.group}/{item.kind}); "
                    "Helm cannot map the kind before the CRD exists: move it to crds/ or split",
                )
            continue
        if not any(stack.waits_for(item.urn, p.urn) for p in providers):
            names = ", ".join(sorted({p.install for p in providers}))
            yield Finding(
                item.install,
                "crd-order",
                item.subject,
                f"its CRD comes from {names}, which {item.install} does not depend on "
                "(on a fresh cluster the kind may not exist yet)",
            )


def check_install_steps(objects: list[Rendered], crds: CrdIndex) -> Iterator[Finding]:
    """What the installed objects need and no install in the stack provides: a CRD, a
    ServiceAccount pods run as or a binding names, a ClusterRole a binding refers to. Upstream
    installs in several steps (CRDs and cluster-scoped parts first) leave these behind when a
    step is skipped."""
    accounts = {(o.target_namespace, o.name) for o in objects if o.kind == "ServiceAccount"}
    cluster_roles = {o.name for o in objects if o.kind == "ClusterRole"}
    for item in objects:
        if not schema.is_core_kind(item.api_version, item.kind) and not crds.providers.get(
            (item.group, item.kind)
        ):
            yield Finding(
                item.install,
                "install-steps",
                item.subject,
                f"no install in the stack provides the CRD of {item.api_version} {item.kind}",
            )
        spec = podsecurity.pod_spec(item.manifest)
        account = (spec or {}).get("serviceAccountName")
        if account and account != "default" and (item.target_namespace, account) not in accounts:
            yield Finding(
                item.install,
                "install-steps",
                item.subject,
                f"runs as ServiceAccount {account}, which no install creates",
            )
        if item.kind in ("RoleBinding", "ClusterRoleBinding"):
            yield from _binding_needs(item, accounts, cluster_roles)


def _binding_needs(
    item: Rendered, accounts: set[tuple[str, str]], cluster_roles: set[str]
) -> Iterator[Finding]:
    for subject in item.manifest.get("subjects") or []:
        if subject.get("kind") != "ServiceAccount":
            continue
        where = subject.get("namespace") or item.target_namespace
        if (where, subject.get("name")) not in accounts:
            yield Finding(
                item.install,
                "install-steps",
                item.subject,
                f"binds ServiceAccount {where}/{subject.get('name')}, which no install creates",
            )
    role = item.manifest.get("roleRef") or {}
    name = str(role.get("name", ""))
    if (
        role.get("kind") == "ClusterRole"
        and name not in cluster_roles
        and name not in BUILT_IN_CLUSTER_ROLES
        and not name.startswith("system:")
    ):
        yield Finding(
            item.install,
            "install-steps",
            item.subject,
            f"refers to ClusterRole {name}, which no install creates",
        )


def check_pod_security(objects: list[Rendered], levels: dict[str, str]) -> Iterator[Finding]:
    """Pods judged at their namespace's enforce level (a namespace the stack does not label is
    judged as the cluster default: privileged)."""
    for item in objects:
        level = levels.get(item.target_namespace, "privileged")
        for violation in podsecurity.violations(item.manifest, level):
            yield Finding(
                item.install,
                "pod-security",
                item.subject,
                f"refused at {level} (namespace {item.target_namespace}): {violation}",
            )


def check_registries(objects: list[Rendered], registries: list[str]) -> Iterator[Finding]:
    """Every container image from an allowed registry (when the stack restricts them)."""
    if not registries:
        return
    for item in objects:
        spec = podsecurity.pod_spec(item.manifest) or {}
        for container in podsecurity.iter_containers(spec):
            image = str(container.get("image", ""))
            if image and not images.allowed(image, registries):
                yield Finding(
                    item.install,
                    "registry",
                    item.subject,
                    f"container {container.get('name')} runs {image} "
                    f"({images.image_name(image)}), outside {', '.join(registries)}",
                )


def check_load_balancers(objects: list[Rendered], has_load_balancers: bool) -> Iterator[Finding]:
    """Nothing asks for a cloud load balancer where the cluster has no implementation: it never
    gets an address, and Helm's wait for the Service never ends."""
    if has_load_balancers:
        return
    proxies = {(o.target_namespace, o.name): o.manifest for o in objects if o.kind == "EnvoyProxy"}
    classes = {o.name: o.manifest for o in objects if o.kind == "GatewayClass"}
    for item in objects:
        reason = _load_balancer(item, proxies, classes)
        if reason:
            yield Finding(
                item.install,
                "load-balancer",
                item.subject,
                f"{reason}, but the stack's cluster has no load-balancer implementation "
                "(use NodePort or ClusterIP)",
            )


def _load_balancer(
    item: Rendered,
    proxies: dict[tuple[str, str], dict[str, Any]],
    classes: dict[str, dict[str, Any]],
) -> str:
    spec = item.manifest.get("spec") or {}
    if item.kind == "Service" and spec.get("type") == "LoadBalancer":
        return "Service of type LoadBalancer"
    if item.kind == "KnativeServing":
        kourier = (spec.get("ingress") or {}).get("kourier") or {}
        if kourier.get("enabled") and kourier.get("service-type", "LoadBalancer") == "LoadBalancer":
            return "Kourier's gateway Service is a LoadBalancer (ingress.kourier.service-type)"
    if item.kind == "Gateway" and item.group == GATEWAY_GROUP:
        proxy = _envoy_proxy(item, proxies, classes)
        service = (((proxy or {}).get("spec") or {}).get("provider") or {}).get("kubernetes") or {}
        kind = (service.get("envoyService") or {}).get("type", "LoadBalancer")
        if kind == "LoadBalancer":
            return (
                "its gateway's Service is a LoadBalancer (no EnvoyProxy of the Gateway or its "
                "GatewayClass sets envoyService.type)"
            )
    return ""


def _envoy_proxy(
    gateway: Rendered,
    proxies: dict[tuple[str, str], dict[str, Any]],
    classes: dict[str, dict[str, Any]],
) -> dict[str, Any] | None:
    """The EnvoyProxy Envoy Gateway runs a Gateway's proxies with: the Gateway's own
    (`infrastructure.parametersRef`, its namespace), else its GatewayClass's (`parametersRef`)."""
    spec = gateway.manifest.get("spec") or {}
    own = (spec.get("infrastructure") or {}).get("parametersRef") or {}
    if own.get("kind") == "EnvoyProxy":
        return proxies.get((gateway.target_namespace, str(own.get("name"))))
    gateway_class = classes.get(str(spec.get("gatewayClassName"))) or {}
    shared = (gateway_class.get("spec") or {}).get("parametersRef") or {}
    if shared.get("kind") == "EnvoyProxy":
        return proxies.get((str(shared.get("namespace")), str(shared.get("name"))))
    return None
