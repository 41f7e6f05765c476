import pulumi
import pytest
import yaml

from components.argocd import ArgoCd, ArgoCdArgs
from mlops.config.loader import PROJECT
from mlops.config.model import StackConfig
from mlops.config.namespaces import NAMESPACES
from mlops.plan.capture import PlatformMocks
from mlops.plan.runner import capture
from tests.components.helpers import named, schema_errors

AUTH = {"nginx.ingress.kubernetes.io/auth-url": "http://oauth2-proxy/oauth2/auth"}


def argocd_args(config: StackConfig, namespaces: tuple[str, ...] = tuple(NAMESPACES)) -> ArgoCdArgs:
    return ArgoCdArgs(
        environment=config.environment,
        namespaces=namespaces,
        gitops=config.gitops,
        replicas=config.replicas,
        charts=config.charts,
        exposure=config.exposure,
        auth=config.auth,
        access=config.access,
        auth_annotations=AUTH,
        oidc_client_secret=pulumi.Output.secret("client-secret"),
    )


def declare(config: StackConfig, namespaces: tuple[str, ...] = tuple(NAMESPACES)) -> list:
    args = argocd_args(config, namespaces)
    return capture(config.environment, lambda: ArgoCd("argocd", args))


def custom(resources: list, kind: str) -> dict:
    """The one `kind` declared as a CustomResource (Pulumi types it by its apiVersion and kind)."""
    [found] = [r for r in resources if r.type == f"kubernetes:argoproj.io/v1alpha1:{kind}"]
    assert found.inputs["apiVersion"] == "argoproj.io/v1alpha1"
    return found.inputs


def values(resources: list) -> dict:
    return named(resources, "argo-cd").inputs["values"]


@pytest.fixture
def mocks() -> None:
    pulumi.runtime.set_mocks(PlatformMocks(), project=PROJECT, stack="test", preview=False)


def test_dev_syncs_automatically_with_prune_and_self_heal(stack_configs):
    dev = stack_configs["dev"]
    application = custom(declare(dev), "Application")
    assert application["metadata"] == {"name": "dev", "namespace": "argocd"}
    spec = application["spec"]
    assert spec["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert spec["source"] == {
        "repoURL": dev.gitops.repo_url,
        "targetRevision": dev.gitops.target_revision,
        "path": "gitops/envs/dev",
        "directory": {"recurse": True},
    }
    assert spec["project"] == "dev"


def test_prod_syncs_by_hand_without_auto_prune_and_warns_about_orphans(stack_configs):
    resources = declare(stack_configs["prod"])
    application = custom(resources, "Application")
    assert application["metadata"]["name"] == "prod"
    assert "automated" not in application["spec"]["syncPolicy"]
    assert application["spec"]["source"]["path"] == "gitops/envs/prod"
    project = custom(resources, "AppProject")
    assert project["spec"]["orphanedResources"] == {"warn": True}
    assert "orphanedResources" not in custom(declare(stack_configs["dev"]), "AppProject")["spec"]


def test_project_fences_repository_namespaces_and_kinds(stack_configs):
    prod = stack_configs["prod"]
    installed = ("ingress", "argocd", "governance", "mlflow", "kubeflow", "models", "monitoring")
    spec = custom(declare(prod, installed), "AppProject")["spec"]
    assert spec["sourceRepos"] == [prod.gitops.repo_url]
    assert spec["clusterResourceWhitelist"] == []
    namespaces = {d["namespace"] for d in spec["destinations"]}
    assert namespaces == {"mlflow", "kubeflow", "models", "monitoring"}
    assert {d["server"] for d in spec["destinations"]} == {"https://kubernetes.default.svc"}
    kinds = {item["kind"] for item in spec["namespaceResourceWhitelist"]}
    assert kinds == {
        "InferenceService",
        "ServiceMonitor",
        "PrometheusRule",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "ConfigMap",
        "Service",
        "Deployment",
        "CronJob",
    }
    assert {"group": "serving.kserve.io", "kind": "InferenceService"} in spec[
        "namespaceResourceWhitelist"
    ]


def test_server_replicas_pdb_and_sso_ingress(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    release = named(resources, "argo-cd").inputs
    assert release["version"] == prod.charts.argo_cd.version
    assert release["namespace"] == "argocd"
    server = values(resources)["server"]
    assert server["replicas"] == prod.replicas.argo_cd_server == 2
    assert server["pdb"]["enabled"] is True
    ingress = server["ingress"]
    assert ingress["hostname"] == prod.exposure.hosts.argo_cd
    assert (
        ingress["annotations"]["nginx.ingress.kubernetes.io/auth-url"]
        == AUTH["nginx.ingress.kubernetes.io/auth-url"]
    )
    assert ingress["annotations"]["cert-manager.io/cluster-issuer"] == "platform-issuer"
    assert ingress["tls"] is True
    assert server["containerSecurityContext"]["readOnlyRootFilesystem"] is True
    dev_server = values(declare(stack_configs["dev"]))["server"]
    assert dev_server["replicas"] == 1
    assert dev_server["pdb"]["enabled"] is False


def test_server_speaks_plain_http_only_behind_tls_termination(stack_configs):
    prod = values(declare(stack_configs["prod"]))
    assert prod["configs"]["params"]["server.insecure"] is True
    local = values(declare(stack_configs["local"]))
    assert local["configs"]["params"]["server.insecure"] is False
    annotations = local["server"]["ingress"]["annotations"]
    assert annotations["nginx.ingress.kubernetes.io/backend-protocol"] == "HTTPS"


def test_oidc_login_with_admin_disabled_and_roles_from_groups(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    configs = values(resources)["configs"]
    assert configs["cm"]["admin.enabled"] is False
    oidc = yaml.safe_load(configs["cm"]["oidc.config"])
    assert oidc["issuer"] == prod.auth.oidc_issuer_url
    assert oidc["clientID"] == prod.auth.oidc_client_id
    assert oidc["clientSecret"] == "$argocd-oidc:clientSecret"
    assert configs["rbac"]["policy.default"] == ""
    policy = configs["rbac"]["policy.csv"].splitlines()
    assert "g, ci, role:deployer" in policy
    assert "g, auditors, role:readonly" in policy
    assert "p, role:deployer, applications, sync, prod/*, allow" in policy
    secret = named(resources, "argocd-oidc").inputs
    assert secret["metadata"]["labels"] == {"app.kubernetes.io/part-of": "argocd"}
    assert secret["stringData"] == {"clientSecret": "[secret]"}


@pulumi.runtime.test
def test_outputs_name_the_project_application_and_url(stack_configs, mocks):
    argocd = ArgoCd("argocd", argocd_args(stack_configs["int"], ("models", "kubeflow")))
    assert argocd.project_name == argocd.application_name == "int"
    assert argocd.url == "https://argocd.int.mlops.example.com"
    assert argocd.destinations == ["kubeflow", "models"]


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "dev", "prod"):
        assert schema_errors(declare(stack_configs[stack])) == []
