"""Kubernetes objects as the platform declares them through Pulumi.

Three shapes carry pods: typed workloads (Deployment, Pod, Job, ...), KServe serving runtimes
(a pod spec template for every model they serve) and Helm releases, whose `values` are
chart-specific. For Helm releases only what the values state explicitly can be judged (an image,
`privileged: true`, `readOnlyRootFilesystem: false`, a `resources` block, a Service type); chart
defaults the values leave alone are not visible before the chart is rendered.
"""

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mlops_policy_kit.images import ImageRef, parse_image
from mlops_policy_kit.values import as_bool, dig, dotted, is_mapping, walk

HELM_RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
SERVICE = "kubernetes:core/v1:Service"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
POD_DISRUPTION_BUDGET = "kubernetes:policy/v1:PodDisruptionBudget"
DEPLOYMENT_PATCH = "kubernetes:apps/v1:DeploymentPatch"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"

POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "kubernetes:core/v1:Pod": ("spec",),
    "kubernetes:apps/v1:Deployment": ("spec", "template", "spec"),
    "kubernetes:apps/v1:StatefulSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:DaemonSet": ("spec", "template", "spec"),
    "kubernetes:apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "kubernetes:batch/v1:Job": ("spec", "template", "spec"),
    "kubernetes:batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    # KServe runtimes are pod templates for every model served with them
    "kubernetes:serving.kserve.io/v1alpha1:ClusterServingRuntime": ("spec",),
    "kubernetes:serving.kserve.io/v1alpha1:ServingRuntime": ("spec",),
}
REPLICATED_TYPES = (
    "kubernetes:apps/v1:Deployment",
    "kubernetes:apps/v1:StatefulSet",
    DEPLOYMENT_PATCH,
)
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
SENSITIVE_NAME = re.compile(
    r"(password|passwd|secret|secretkey|token|apikey|privatekey|credentials?)$", re.IGNORECASE
)
SERVICE_TYPE_KEYS = {"type", "serviceType", "service-type"}


@dataclass(frozen=True)
class Container:
    path: str  # where it sits in the resource's inputs, for messages
    spec: Mapping[str, Any]

    @property
    def name(self) -> str:
        return str(self.spec.get("name", "?"))


@dataclass(frozen=True)
class Finding:
    """A value found in a resource's inputs: where, and what it is."""

    path: str
    value: Any


def namespace_of(resource_type: str, props: Mapping[str, Any]) -> str | None:
    if resource_type == HELM_RELEASE:
        return dig(props, "namespace")
    return dig(props, "metadata", "namespace")


def object_name(resource_type: str, props: Mapping[str, Any]) -> str | None:
    if resource_type == HELM_RELEASE:
        return dig(props, "name")
    return dig(props, "metadata", "name")


def pod_spec(resource_type: str, props: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """(path, pod spec) of a resource that carries one, else None."""
    path = POD_SPEC_PATHS.get(resource_type)
    if path is None:
        return None
    spec = dig(props, *path)
    return (".".join(path), spec) if is_mapping(spec) else None


def containers(resource_type: str, props: Mapping[str, Any]) -> list[Container]:
    found = pod_spec(resource_type, props)
    if found is None:
        return []
    base, spec = found
    return [
        Container(f"{base}.{kind}[{index}]", container)
        for kind in CONTAINER_LISTS
        for index, container in enumerate(spec.get(kind) or [])
        if is_mapping(container)
    ]


def pod_template_labels(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    path = POD_SPEC_PATHS.get(resource_type)
    if path is None or path[-1:] != ("spec",) or len(path) < 2:
        return {}
    return dig(props, *path[:-1], "metadata", "labels", default={})


def helm_values(resource_type: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
    if resource_type != HELM_RELEASE:
        return {}
    values = dig(props, "values", default={})
    return values if is_mapping(values) else {}


def helm_findings(values: Mapping[str, Any], key: str, wanted: Any) -> list[Finding]:
    """Every `key: wanted` anywhere in Helm values (for example `privileged: true`)."""
    return [
        Finding(f"values.{dotted(path)}", value)
        for path, value in walk(values)
        if path and path[-1] == key and _same(value, wanted)
    ]


def helm_images(values: Mapping[str, Any]) -> list[tuple[str, ImageRef]]:
    """Images the values set explicitly: `image: repo:tag` strings and `image:` mappings with
    `registry`/`repository`/`tag`/`digest` (a mapping without `tag` keeps the chart's pinned
    default). Returns (path, reference) pairs."""
    images: list[tuple[str, ImageRef]] = []
    for path, value in walk(values):
        if not path or path[-1] != "image":
            continue
        where = f"values.{dotted(path)}"
        if isinstance(value, str) and value:
            images.append((where, parse_image(value)))
        elif is_mapping(value) and isinstance(value.get("repository"), str):
            images.append((where, _image_from_mapping(value)))
    return images


def _image_from_mapping(value: Mapping[str, Any]) -> ImageRef:
    repository = value["repository"]
    registry = value.get("registry")
    text = f"{registry}/{repository}" if isinstance(registry, str) and registry else repository
    tag = value.get("tag")
    digest = value.get("digest")
    if isinstance(tag, str) and tag:
        text += f":{tag}"
    if isinstance(digest, str) and digest:
        text += f"@{digest}"
    image = parse_image(text)
    if image.tag is None and image.digest is None:
        # the chart fills in its own tag (its appVersion), pinned by the chart version
        return ImageRef(image.text, image.registry, image.repository, "<chart default>", None)
    return image


def container_images(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, ImageRef]]:
    """Images of typed workloads and runtimes, and the ones Helm values set explicitly."""
    images = [
        (f"{container.path}.image", parse_image(container.spec["image"]))
        for container in containers(resource_type, props)
        if isinstance(container.spec.get("image"), str)
    ]
    return images + helm_images(helm_values(resource_type, props))


def helm_resource_blocks(values: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """`resources` blocks of containers in Helm values: empty ones, or ones naming cpu or memory
    (a volume claim's `resources: {requests: {storage: ...}}` is not a container's)."""
    for path, value in walk(values):
        if not path or path[-1] != "resources" or not is_mapping(value):
            continue
        sections = [dig(value, "requests", default={}), dig(value, "limits", default={})]
        names = {key for section in sections if is_mapping(section) for key in section}
        if not value or names & {"cpu", "memory"}:
            yield f"values.{dotted(path)}", value


def load_balancer_findings(resource_type: str, props: Mapping[str, Any]) -> list[Finding]:
    """Where a Service of type LoadBalancer is declared: a Service, the Service Envoy Gateway
    creates for its proxies (EnvoyProxy), or a Helm value."""
    if resource_type == SERVICE:
        kind = dig(props, "spec", "type")
        return [Finding("spec.type", kind)] if kind == "LoadBalancer" else []
    if resource_type == ENVOY_PROXY:
        path = ("spec", "provider", "kubernetes", "envoyService", "type")
        kind = dig(props, *path)
        return [Finding(dotted(path), kind)] if kind == "LoadBalancer" else []
    return [
        Finding(f"values.{dotted(path)}", value)
        for path, value in walk(helm_values(resource_type, props))
        if path and path[-1] in SERVICE_TYPE_KEYS and value == "LoadBalancer"
    ]


def plaintext_secret_findings(resource_type: str, props: Mapping[str, Any]) -> list[Finding]:
    """Literal values under secret-looking names outside a Secret: container env values, Helm
    values and ConfigMap data. References (`valueFrom`, `existingSecret...`) are fine."""
    findings = [
        Finding(f"{container.path}.env[{index}]", env.get("name"))
        for container in containers(resource_type, props)
        for index, env in enumerate(container.spec.get("env") or [])
        if is_mapping(env)
        and SENSITIVE_NAME.search(_plain(str(env.get("name", ""))))
        and isinstance(env.get("value"), str)
        and env["value"]
    ]
    if resource_type == CONFIG_MAP:
        data = dig(props, "data", default={})
        findings += [
            Finding(f"data.{key}", key)
            for key in (data if is_mapping(data) else {})
            if SENSITIVE_NAME.search(_plain(key))
        ]
    for path, value in walk(helm_values(resource_type, props)):
        if not path or not isinstance(path[-1], str) or not isinstance(value, str) or not value:
            continue
        key = _plain(path[-1])
        if SENSITIVE_NAME.search(key) and not key.startswith("existing"):
            findings.append(Finding(f"values.{dotted(path)}", path[-1]))
    return findings


def security_context_value(container: Container, pod: Mapping[str, Any], key: str) -> Any:
    """A container's security setting, falling back to the pod's where Kubernetes does."""
    value = dig(container.spec, "securityContext", key)
    if value is None:
        value = dig(pod, "securityContext", key)
    return value


def label_selector_matches(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    """`matchLabels` and `matchExpressions` (In, NotIn, Exists, DoesNotExist) against labels."""
    match_labels = dig(selector, "matchLabels", default={})
    if any(labels.get(key) != value for key, value in match_labels.items()):
        return False
    for expression in dig(selector, "matchExpressions", default=[]):
        key, operator = expression.get("key"), expression.get("operator")
        values = list(expression.get("values") or [])
        present = key in labels
        if (
            (operator == "In" and (not present or labels[key] not in values))
            or (operator == "NotIn" and present and labels[key] in values)
            or (operator == "Exists" and not present)
            or (operator == "DoesNotExist" and present)
        ):
            return False
    return bool(match_labels) or bool(dig(selector, "matchExpressions"))


def _plain(name: str) -> str:
    return name.replace("_", "").replace("-", "").replace(".", "")


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool):
        return as_bool(value) is wanted
    return value == wanted


# The retired ingress-nginx controller: its chart, its IngressClass controller, its annotations.
RETIRED_INGRESS_CHART = "ingress-nginx"
RETIRED_INGRESS_CONTROLLER = "k8s.io/ingress-nginx"
RETIRED_INGRESS_ANNOTATION = "nginx.ingress.kubernetes.io/"
RETIRED_INGRESS_CLASSES = {"nginx"}


def _retired_ingress(spec_class: Any, annotations: Any) -> bool:
    keys = [str(key) for key in annotations] if is_mapping(annotations) else []
    classes = {str(spec_class)} | {
        str(annotations[key]) for key in keys if key == "kubernetes.io/ingress.class"
    }
    return bool(classes & RETIRED_INGRESS_CLASSES) or any(
        key.startswith(RETIRED_INGRESS_ANNOTATION) for key in keys
    )


def retired_ingress_findings(resource_type: str, props: Mapping[str, Any]) -> list[Finding]:
    """Where the retired ingress-nginx controller is installed or used: its Helm chart, an
    IngressClass it implements, an Ingress of its class or with its annotations, and any
    Ingress a Helm release's values turn on for it."""
    if resource_type == HELM_RELEASE:
        chart = str(dig(props, "chart", default=""))
        found = (
            [Finding("chart", chart)]
            if chart.rstrip("/").rsplit("/", 1)[-1] == RETIRED_INGRESS_CHART
            else []
        )
        for path, value in walk(helm_values(resource_type, props)):
            if not path or path[-1] != "ingress" or not is_mapping(value):
                continue
            if as_bool(value.get("enabled")) is not True:
                continue
            spec_class = value.get("ingressClassName", value.get("className"))
            if _retired_ingress(spec_class, value.get("annotations") or {}):
                found.append(Finding(f"values.{dotted(path)}", spec_class))
        return found
    if resource_type == INGRESS_CLASS:
        controller = dig(props, "spec", "controller")
        return (
            [Finding("spec.controller", controller)]
            if controller == RETIRED_INGRESS_CONTROLLER
            else []
        )
    if resource_type == INGRESS:
        spec_class = dig(props, "spec", "ingressClassName")
        annotations = dig(props, "metadata", "annotations", default={})
        if _retired_ingress(spec_class, annotations):
            return [Finding("spec.ingressClassName", spec_class)]
    return []
