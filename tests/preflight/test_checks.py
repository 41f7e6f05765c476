"""Each finding class on objects rendered from the fixture charts with the real Helm."""

from pathlib import Path
from typing import Any

from mlops.preflight import checks
from mlops.preflight.installs import StackInstalls
from mlops.preflight.objects import Rendered, is_crds_dir, split_sources
from tests.preflight.conftest import renderer

APP = {"name": "a", "replicas": 1}


def rendered(
    helm: Path, chart: str, values: dict[str, Any], name: str | None = None
) -> list[Rendered]:
    text = renderer(helm, chart, values, name=name).render(values)
    urn = f"urn:{name or chart}"
    return [
        Rendered(name or chart, urn, "apps", manifest, is_crds_dir(source))
        for manifest, source in split_sources(text)
    ]


def stack(needs: dict[str, set[str]]) -> StackInstalls:
    return StackInstalls("test", [], {}, [], {k: frozenset(v) for k, v in needs.items()})


def test_a_custom_resource_needs_its_crd_release_as_a_dependency(helm: Path) -> None:
    crds = rendered(helm, "widget-crds", {})
    app = rendered(helm, "app", {**APP, "widget": {"enabled": True}})
    objects = crds + app
    index = checks.CrdIndex(objects)
    unordered = list(checks.check_crd_order(objects, index, stack({})))
    assert [(f.install, f.check, f.subject) for f in unordered] == [
        ("app", "crd-order", "Widget apps/app")
    ]
    assert (
        list(checks.check_crd_order(objects, index, stack({"urn:app": {"urn:widget-crds"}}))) == []
    )


def test_a_crd_template_in_the_same_release_is_an_ordering_problem() -> None:
    crd = {
        "kind": "CustomResourceDefinition",
        "spec": {"group": "example.com", "names": {"kind": "Widget"}, "versions": []},
    }
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    objects = [Rendered("r", "urn:r", "apps", crd), Rendered("r", "urn:r", "apps", widget)]
    found = list(checks.check_crd_order(objects, checks.CrdIndex(objects), stack({})))
    assert [f.subject for f in found] == ["Widget apps/w"]
    in_crds_dir = [Rendered("r", "urn:r", "apps", crd, from_crds_dir=True), objects[1]]
    assert list(checks.check_crd_order(in_crds_dir, checks.CrdIndex(in_crds_dir), stack({}))) == []


def test_custom_resources_are_validated_against_the_installed_crd(helm: Path) -> None:
    values = {**APP, "widget": {"enabled": True, "extra": {"colour": "red"}}}
    objects = rendered(helm, "widget-crds", {}) + rendered(helm, "app", values)
    found = list(checks.check_schemas(objects, checks.CrdIndex(objects)))
    assert [(f.subject, f.check) for f in found] == [("Widget apps/app", "schema")]
    assert "colour" in found[0].message


def test_core_kinds_are_validated_at_the_stacks_kubernetes_version() -> None:
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "s"},
        "spec": {"typo": 1},
    }
    objects = [Rendered("r", "urn:r", "apps", service)]
    found = list(checks.check_schemas(objects, checks.CrdIndex(objects)))
    assert len(found) == 1
    assert "typo" in found[0].message


def test_missing_crds_and_accounts_are_install_steps_not_applied(helm: Path) -> None:
    objects = rendered(
        helm, "app", {**APP, "widget": {"enabled": True}, "serviceAccount": "runner"}
    )
    found = {
        (f.check, f.message) for f in checks.check_install_steps(objects, checks.CrdIndex(objects))
    }
    assert found == {
        ("install-steps", "no install in the stack provides the CRD of example.com/v1 Widget"),
        ("install-steps", "runs as ServiceAccount runner, which no install creates"),
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "runner"}}
    objects += [*rendered(helm, "widget-crds", {}), Rendered("sa", "urn:sa", "apps", account)]
    assert list(checks.check_install_steps(objects, checks.CrdIndex(objects))) == []


def test_bindings_need_their_accounts_and_cluster_roles() -> None:
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": "b"},
        "roleRef": {
            "kind": "ClusterRole",
            "name": "deployer",
            "apiGroup": "rbac.authorization.k8s.io",
        },
        "subjects": [{"kind": "ServiceAccount", "name": "deployer-sa", "namespace": "kubeflow"}],
    }
    objects = [Rendered("tree", "urn:t", "kubeflow", binding)]
    messages = [f.message for f in checks.check_install_steps(objects, checks.CrdIndex(objects))]
    assert messages == [
        "binds ServiceAccount kubeflow/deployer-sa, which no install creates",
        "refers to ClusterRole deployer, which no install creates",
    ]


def test_pod_security_uses_the_namespace_enforce_level(helm: Path) -> None:
    soft = rendered(helm, "app", {**APP, "hardened": False})
    assert list(checks.check_pod_security(soft, {"apps": "baseline"})) == []
    found = list(checks.check_pod_security(soft, {"apps": "restricted"}))
    assert {f.subject for f in found} == {"Deployment apps/app"}
    hardened = rendered(helm, "app", APP)
    assert list(checks.check_pod_security(hardened, {"apps": "restricted"})) == []


def test_images_outside_the_allowed_registries(helm: Path) -> None:
    objects = rendered(helm, "app", {**APP, "image": "nginx:1.27"})
    found = list(checks.check_registries(objects, ["registry.example.com/team"]))
    assert [f.message for f in found] == [
        "container app runs nginx:1.27 (docker.io/library/nginx), outside registry.example.com/team"
    ]
    assert (
        list(checks.check_registries(rendered(helm, "app", APP), ["registry.example.com/team"]))
        == []
    )
    assert list(checks.check_registries(objects, [])) == []


def test_load_balancers_only_where_the_cluster_has_them(helm: Path) -> None:
    objects = rendered(helm, "app", {**APP, "serviceType": "LoadBalancer"})
    assert [f.subject for f in checks.check_load_balancers(objects, False)] == ["Service apps/app"]
    assert list(checks.check_load_balancers(objects, True)) == []


def test_gateways_without_a_service_type_ask_for_a_load_balancer() -> None:
    """The EnvoyProxy comes from the Gateway's own reference, else from its GatewayClass's."""

    def gateway(spec: dict[str, Any]) -> Rendered:
        manifest = {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "Gateway",
            "metadata": {"name": "edge", "namespace": "edge"},
            "spec": {"gatewayClassName": "envoy", **spec},
        }
        return Rendered("edge", "urn:e", "edge", manifest)

    def proxy(name: str, service_type: str) -> Rendered:
        manifest = {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1",
            "kind": "EnvoyProxy",
            "metadata": {"name": name, "namespace": "edge"},
            "spec": {"provider": {"kubernetes": {"envoyService": {"type": service_type}}}},
        }
        return Rendered("edge", "urn:e", "edge", manifest)

    gateway_class = Rendered(
        "edge",
        "urn:e",
        "edge",
        {
            "apiVersion": "gateway.networking.k8s.io/v1",
            "kind": "GatewayClass",
            "metadata": {"name": "envoy"},
            "spec": {
                "parametersRef": {"kind": "EnvoyProxy", "name": "shared", "namespace": "edge"}
            },
        },
    )
    own = gateway({"infrastructure": {"parametersRef": {"kind": "EnvoyProxy", "name": "own"}}})
    by_class = gateway({})

    def subjects(*objects: Rendered) -> list[str]:
        return [f.subject for f in checks.check_load_balancers(list(objects), False)]

    assert subjects(own) == ["Gateway edge/edge"]
    assert subjects(own, proxy("own", "NodePort")) == []
    assert subjects(by_class, gateway_class) == ["Gateway edge/edge"]
    assert subjects(by_class, gateway_class, proxy("shared", "NodePort")) == []
    assert subjects(by_class, gateway_class, proxy("shared", "LoadBalancer")) == [
        "Gateway edge/edge"
    ]
    # the Gateway's own EnvoyProxy replaces its class's
    assert subjects(own, gateway_class, proxy("shared", "NodePort")) == ["Gateway edge/edge"]
