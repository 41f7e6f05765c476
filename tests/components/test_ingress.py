import pulumi
import pytest

from components.ingress import (
    CLUSTER_ISSUER,
    Ingress,
    IngressArgs,
    common_domain,
    web_annotations,
    web_tls,
)
from mlops.config.loader import PROJECT
from mlops.config.model import StackConfig
from mlops.plan.capture import PlatformMocks
from mlops.plan.runner import capture
from tests.components.helpers import named, of_type, schema_errors

RELEASE = "kubernetes:helm.sh/v3:Release"
SERVICE_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"


def ingress_args(config: StackConfig, **overrides) -> IngressArgs:
    return IngressArgs(
        exposure=config.exposure,
        auth=config.auth,
        replicas=config.replicas,
        charts=config.charts,
        oidc_client_secret=pulumi.Output.secret("client-secret"),
        **overrides,
    )


def declare(config: StackConfig, **overrides) -> list:
    args = ingress_args(config, **overrides)
    return capture(config.environment, lambda: Ingress("ingress", args))


def controller(resources: list) -> dict:
    return named(resources, "ingress-nginx").inputs["values"]["controller"]


def test_load_balancer_scheme_follows_the_stack(stack_configs):
    for stack, scheme, internal in (
        ("dev", "internet-facing", "false"),
        ("prod", "internal", "true"),
    ):
        service = controller(declare(stack_configs[stack]))["service"]
        assert service["type"] == "LoadBalancer"
        assert service["annotations"][SERVICE_SCHEME] == scheme
        assert (
            service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-internal"]
            == internal
        )
        assert service["annotations"]["service.beta.kubernetes.io/aws-load-balancer-type"] == "nlb"


def test_controller_replicas_pdb_metrics_and_pin(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    release = named(resources, "ingress-nginx")
    assert release.inputs["version"] == prod.charts.ingress_nginx.version
    assert release.inputs["namespace"] == "ingress-nginx"
    values = controller(resources)
    assert values["replicaCount"] == prod.replicas.ingress_controller == 3
    assert values["minAvailable"] == 1
    assert values["metrics"]["enabled"] is True
    assert values["allowSnippetAnnotations"] is False
    assert values["image"]["allowPrivilegeEscalation"] is False
    assert values["resources"]["limits"]["memory"]
    proxy = named(resources, "oauth2-proxy").inputs
    assert proxy["version"] == prod.charts.oauth2_proxy.version
    assert proxy["values"]["podDisruptionBudget"]["enabled"] is True
    assert proxy["values"]["replicaCount"] == 3


def load_balancer_paths(value, path="") -> list[str]:
    if isinstance(value, dict):
        found = [path] if value.get("type") == "LoadBalancer" else []
        return found + [p for k, v in value.items() for p in load_balancer_paths(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in load_balancer_paths(v, f"{path}[{i}]")]
    return []


def test_only_the_controller_service_is_a_load_balancer(stack_configs):
    resources = declare(stack_configs["prod"])
    found = [f"{r.name}{path}" for r in resources for path in load_balancer_paths(r.inputs)]
    assert found == ["ingress-nginx.values.controller.service"]


def test_local_can_use_a_node_port_without_aws_annotations(stack_configs):
    service = controller(declare(stack_configs["local"], service_type="NodePort"))["service"]
    assert service == {"type": "NodePort"}


def test_oauth2_proxy_takes_oidc_settings_and_secret_from_a_secret(stack_configs):
    dev = stack_configs["dev"]
    resources = declare(dev)
    values = named(resources, "oauth2-proxy").inputs["values"]
    assert values["config"]["existingSecret"] == "oauth2-proxy-credentials"
    config_file = values["config"]["configFile"]
    assert f'oidc_issuer_url = "{dev.auth.oidc_issuer_url}"' in config_file
    assert 'email_domains = ["example.com"]' in config_file
    assert 'cookie_domains = [".dev.mlops.example.com"]' in config_file
    assert "cookie_secure = true" in config_file
    assert "clientSecret" not in str(values) and "client-secret" not in config_file
    assert values["serviceAccount"]["automountServiceAccountToken"] is False
    assert values["ingress"]["hosts"] == ["auth.dev.mlops.example.com"]
    secret = named(resources, "oauth2-proxy-credentials")
    assert secret.inputs["metadata"]["namespace"] == "ingress-nginx"
    assert secret.inputs["stringData"] == {  # never in the plan in clear
        "client-id": "[secret]",
        "client-secret": "[secret]",
        "cookie-secret": "[secret]",
    }
    cookie = named(resources, "oauth2-proxy-cookie-secret").inputs
    assert cookie["length"] == 32
    assert cookie["special"] is False


@pytest.fixture
def mocks() -> None:
    pulumi.runtime.set_mocks(PlatformMocks(), project=PROJECT, stack="test", preview=False)


@pulumi.runtime.test
def test_auth_annotations_point_nginx_at_oauth2_proxy(stack_configs, mocks):
    ingress = Ingress("ingress", ingress_args(stack_configs["prod"]))
    annotations = ingress.auth_annotations
    assert annotations["nginx.ingress.kubernetes.io/auth-url"] == (
        "http://oauth2-proxy.ingress-nginx.svc.cluster.local/oauth2/auth"
    )
    assert annotations["nginx.ingress.kubernetes.io/auth-signin"].startswith(
        "https://auth.mlops.example.com/oauth2/start?rd="
    )
    assert (
        "X-Auth-Request-Email" in annotations["nginx.ingress.kubernetes.io/auth-response-headers"]
    )


def test_cluster_issuer_self_signed_by_default_acme_when_asked(stack_configs):
    prod = stack_configs["prod"]
    issuer = named(declare(prod), CLUSTER_ISSUER).inputs
    assert issuer["kind"] == "ClusterIssuer"
    assert issuer["spec"] == {"selfSigned": {}}
    acme = named(declare(prod, acme_email="platform@example.com"), CLUSTER_ISSUER).inputs
    assert acme["spec"]["acme"]["email"] == "platform@example.com"
    assert acme["spec"]["acme"]["solvers"][0]["http01"]["ingress"]["ingressClassName"] == "nginx"


def test_no_issuer_and_no_https_without_tls(stack_configs):
    local = stack_configs["local"]
    resources = declare(local)
    assert not [r for r in resources if r.name == CLUSTER_ISSUER]
    assert controller(resources)["config"]["ssl-redirect"] == "false"
    assert web_annotations(local.exposure, {"a": "b"}) == {"a": "b"}
    assert web_tls(local.exposure, "x.localtest.me") == []
    assert (
        "cookie_secure = false"
        in named(resources, "oauth2-proxy").inputs["values"]["config"]["configFile"]
    )


def test_web_helpers_add_the_issuer_and_tls_secret(stack_configs):
    prod = stack_configs["prod"]
    annotations = web_annotations(prod.exposure, {"a": "b"})
    assert annotations == {"a": "b", "cert-manager.io/cluster-issuer": CLUSTER_ISSUER}
    assert web_tls(prod.exposure, "grafana.mlops.example.com") == [
        {"hosts": ["grafana.mlops.example.com"], "secretName": "grafana-mlops-example-com-tls"}
    ]


def test_common_domain_needs_a_shared_registrable_domain():
    assert common_domain(["a.x.example.com", "b.x.example.com"]) == "x.example.com"
    with pytest.raises(ValueError, match="share no registrable domain"):
        common_domain(["a.example.com", "b.example.org"])


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "prod"):
        resources = declare(stack_configs[stack], acme_email="platform@example.com")
        assert of_type(resources, RELEASE)
        assert schema_errors(resources) == []
