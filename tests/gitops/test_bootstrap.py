"""Argo CD bootstrap: the ApplicationSet of each stack yields one Application for its
environment in the right project and namespace, the committed objects are what Pulumi gets,
and the sync decision (prod: manual, no auto-prune) is enforced and checkable."""

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

from mlops.config.namespaces import NAMESPACES
from mlops.errors import BadInputError, CheckFailedError
from mlops.gitops.bootstrap import argocd_objects, generated_applications
from mlops.gitops.environment import Environment
from mlops.manifests.schema import validation_errors
from tests.gitops.bootstrap_policy import bootstrap_violations, manual_sync_enforced
from tests.gitops.conftest import REPO, STACKS, edit


def objects_of(env: str) -> dict[str, dict[str, Any]]:
    return {obj["kind"]: obj for obj in argocd_objects(env)}


@pytest.mark.parametrize("env", STACKS)
def test_application_set_yields_one_application_for_its_environment(
    env: str, environments: dict[str, Environment]
) -> None:
    objects = objects_of(env)
    (app,) = generated_applications(objects["ApplicationSet"])
    assert validation_errors(app) == []
    assert app["metadata"]["name"] == f"models-{env}"
    assert app["metadata"]["namespace"] == NAMESPACES["argocd"].name
    assert app["spec"]["project"] == objects["AppProject"]["metadata"]["name"] == f"mlops-{env}"
    assert app["spec"]["destination"] == {
        "server": "https://kubernetes.default.svc",
        "namespace": NAMESPACES["models"].name,
    }
    source = app["spec"]["source"]
    assert source["repoURL"] == environments[env].gitops.repo_url
    assert source["path"] == f"{environments[env].gitops.path}/rendered"
    assert (REPO / source["path"]).is_dir()


def test_each_environment_gets_its_own_application() -> None:
    apps = [
        app
        for env in ("dev", "int", "prod")
        for app in generated_applications(objects_of(env)["ApplicationSet"])
    ]
    assert sorted(app["spec"]["source"]["path"] for app in apps) == [
        "gitops/envs/dev/rendered",
        "gitops/envs/int/rendered",
        "gitops/envs/prod/rendered",
    ]
    assert len({app["spec"]["project"] for app in apps}) == 3


@pytest.mark.parametrize("env", ["dev", "int"])
def test_dev_and_int_sync_automatically(env: str) -> None:
    objects = objects_of(env)
    (app,) = generated_applications(objects["ApplicationSet"])
    assert app["spec"]["syncPolicy"]["automated"] == {"prune": True, "selfHeal": True}
    assert not manual_sync_enforced(objects["AppProject"])


def test_prod_syncs_by_hand_without_prune() -> None:
    objects = objects_of("prod")
    (app,) = generated_applications(objects["ApplicationSet"])
    assert "automated" not in app["spec"]["syncPolicy"]
    assert manual_sync_enforced(objects["AppProject"])
    assert objects["ApplicationSet"]["spec"]["syncPolicy"]["preserveResourcesOnDeletion"] is True


@pytest.mark.parametrize("env", STACKS)
def test_committed_objects_pass_policy(env: str, environments: dict[str, Environment]) -> None:
    assert bootstrap_violations(environments[env].gitops, argocd_objects(env)) == []


def _mutated(env: str, change: Any) -> list[dict[str, Any]]:
    objects = copy.deepcopy(argocd_objects(env))
    change({obj["kind"]: obj for obj in objects})
    return objects


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda o: o["ApplicationSet"]["spec"]["template"]["spec"]["syncPolicy"].update(
                automated={"prune": True}
            ),
            "automated sync is off",
        ),
        (lambda o: o["AppProject"]["spec"].pop("syncWindows"), "always-open deny sync window"),
        (
            lambda o: o["AppProject"]["spec"]["syncWindows"][0].update(manualSync=False),
            "always-open deny sync window",
        ),
        (
            lambda o: o["AppProject"]["spec"].update(
                clusterResourceWhitelist=[{"group": "*", "kind": "*"}]
            ),
            "clusterResourceWhitelist must be empty",
        ),
        (
            lambda o: o["AppProject"]["spec"]["destinations"].append(
                {"server": "https://kubernetes.default.svc", "namespace": "kube-system"}
            ),
            "outside this cluster's allowed namespaces",
        ),
        (
            lambda o: o["AppProject"]["spec"].update(sourceRepos=["*"]),
            "sourceRepos must be exactly",
        ),
        (
            lambda o: o["AppProject"]["spec"]["namespaceResourceWhitelist"].append(
                {"group": "", "kind": "Secret"}
            ),
            "is not one the renderer makes",
        ),
        (
            lambda o: o["ApplicationSet"]["spec"]["syncPolicy"].update(
                preserveResourcesOnDeletion=False
            ),
            "must preserve resources",
        ),
    ],
)
def test_policy_catches_weakened_prod_objects(
    environments: dict[str, Environment], change: Any, expected: str
) -> None:
    problems = bootstrap_violations(environments["prod"].gitops, _mutated("prod", change))
    assert any(expected in problem for problem in problems), problems


def test_policy_wants_automation_where_the_stack_asks_for_it(
    environments: dict[str, Environment],
) -> None:
    objects = _mutated(
        "dev",
        lambda o: o["ApplicationSet"]["spec"]["template"]["spec"]["syncPolicy"].pop("automated"),
    )
    assert any(
        "asks for automated sync" in p
        for p in bootstrap_violations(environments["dev"].gitops, objects)
    )


def test_argocd_objects_refuses_stale_or_invalid_files(tree: Path) -> None:
    project = tree / "gitops/argocd/prod/project.yaml"
    edit(project, ("manualSync: true", "manualSync: false"))
    with pytest.raises(CheckFailedError, match="stale; run `mlops render --env prod`"):
        argocd_objects("prod", root=tree)
    edit(project, ("orphanedResources", "orphanResources"))
    with pytest.raises(BadInputError, match="orphanResources"):
        argocd_objects("prod", root=tree)


def test_argocd_objects_reads_from_the_stack_not_a_copy(tree: Path) -> None:
    stack = tree / "stacks/Pulumi.int.yaml"
    edit(stack, ("example-org/mlops-platform", "example-org/fork"))
    with pytest.raises(CheckFailedError, match="stale"):
        argocd_objects("int", root=tree)
    shutil.rmtree(tree / "gitops/argocd/int")
    with pytest.raises(BadInputError, match="file not found"):
        argocd_objects("int", root=tree)


def test_generator_evaluation_fails_on_missing_keys() -> None:
    appset = copy.deepcopy(objects_of("dev")["ApplicationSet"])
    appset["spec"]["template"]["spec"]["project"] = "{{.team}}"
    with pytest.raises(BadInputError, match="missing key 'team'"):
        generated_applications(appset)
