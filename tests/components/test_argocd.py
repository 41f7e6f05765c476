import pulumi
import pytest
import yaml

from components.argocd import ArgoCd, ArgoCdArgs
from mlops.config.loader import PROJECT
from mlops.config.model import StackConfig
from mlops.gitops.bootstrap import argocd_objects
from mlops.plan.capture import PlatformMocks
from mlops.plan.runner import capture
from tests.components.helpers import named, schema_errors


def argocd_args(config: StackConfig, stack: str) -> ArgoCdArgs:
    return ArgoCdArgs(
        bootstrap=argocd_objects(stack),
        replicas=config.replicas,
        charts=config.charts,
        exposure=config.exposure,
        auth=config.auth,
        access=config.access,
        oidc_client_secret=pulumi.Output.secret("client-secret"),
    )


def declare(config: StackConfig, stack: str | None = None) -> list:
    args = argocd_args(config, stack or config.environment)
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


def test_applies_the_committed_bootstrap_objects_after_the_chart(stack_configs):
    resources = declare(stack_configs["dev"])
    project = custom(resources, "AppProject")
    appset = custom(resources, "ApplicationSet")
    committed = {obj["kind"]: obj for obj in argocd_objects("dev")}
    assert project["spec"] == committed["AppProject"]["spec"]
    assert appset["spec"] == committed["ApplicationSet"]["spec"]
    elements = appset["spec"]["generators"][0]["list"]["elements"]
    assert [e["project"] for e in elements] == [project["metadata"]["name"]]


def test_dev_syncs_automatically_and_prod_only_by_hand(stack_configs):
    dev = custom(declare(stack_configs["dev"]), "ApplicationSet")["spec"]["template"]["spec"]
    assert dev["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    prod_resources = declare(stack_configs["prod"])
    prod = custom(prod_resources, "ApplicationSet")["spec"]["template"]["spec"]
    assert "automated" not in prod["syncPolicy"]
    project = custom(prod_resources, "AppProject")["spec"]
    assert project["orphanedResources"] == {"warn": True}
    assert {(w["kind"], w["manualSync"]) for w in project["syncWindows"]} == {("deny", True)}


def test_project_fences_repository_and_cluster_scoped_kinds(stack_configs):
    prod = stack_configs["prod"]
    spec = custom(declare(prod), "AppProject")["spec"]
    assert spec["sourceRepos"] == [prod.gitops.repo_url]
    assert spec["clusterResourceWhitelist"] == []
    assert {d["server"] for d in spec["destinations"]} == {"https://kubernetes.default.svc"}
    assert {"group": "serving.kserve.io", "kind": "InferenceService"} in spec[
        "namespaceResourceWhitelist"
    ]


def test_server_replicas_pdb_and_no_ingress_of_its_own(stack_configs):
    prod = stack_configs["prod"]
    resources = declare(prod)
    release = named(resources, "argo-cd").inputs
    assert release["version"] == prod.charts.argo_cd.version
    assert release["namespace"] == "argocd"
    server = values(resources)["server"]
    assert server["replicas"] == prod.replicas.argo_cd_server == 2
    assert server["pdb"]["enabled"] is True
    assert server["ingress"] == {"enabled": False}  # the gateway routes to it
    assert server["containerSecurityContext"]["readOnlyRootFilesystem"] is True
    dev_server = values(declare(stack_configs["dev"]))["server"]
    assert dev_server["replicas"] == 1
    assert dev_server["pdb"]["enabled"] is False


def test_server_speaks_plain_http_behind_the_gateway(stack_configs):
    for stack in ("local", "prod"):
        params = values(declare(stack_configs[stack]))["configs"]["params"]
        assert params["server.insecure"] is True


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
    assert "p, role:deployer, applications, sync, mlops-prod/*, allow" in policy
    secret = named(resources, "argocd-oidc").inputs
    assert secret["metadata"]["labels"] == {"app.kubernetes.io/part-of": "argocd"}
    assert secret["stringData"] == {"clientSecret": "[secret]"}


@pulumi.runtime.test
def test_outputs_name_the_project_application_set_and_url(stack_configs, mocks):
    argocd = ArgoCd("argocd", argocd_args(stack_configs["int"], "int"))
    assert argocd.project_name == argocd.application_set_name == "mlops-int"
    assert argocd.url == "https://argocd.int.mlops.example.com"


def test_every_object_validates_against_its_schema(stack_configs):
    for stack in ("local", "dev", "prod"):
        assert schema_errors(declare(stack_configs[stack])) == []
