"""SubjectAccessReviews against the real RBAC authorizer prove each platform role's intent in
each stack: what its group may do where the stack binds it, and what it may never do."""

import pytest
from kubernetes import client

from mlops.config.namespaces import NAMESPACES

pytestmark = pytest.mark.cluster

SERVING = NAMESPACES["models"].name
PIPELINES = NAMESPACES["kubeflow"].name
GOVERNANCE = NAMESPACES["governance"].name


def can(api, group: str, verb: str, resource: str, namespace: str, api_group: str = "") -> bool:
    review = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=f"someone-in-{group}", groups=[group, "system:authenticated"],
        resource_attributes=client.V1ResourceAttributes(
            verb=verb, resource=resource, namespace=namespace, group=api_group)))  # fmt: skip
    return client.AuthorizationV1Api(api).create_subject_access_review(review).status.allowed


def bound(config, role: str) -> set[str]:
    return {NAMESPACES[key].name for key in config.access.bindings.get(role, [])}


# (role, what it may do where bound, what it may never do anywhere); resource attributes are
# (verb, resource, api group).
INTENT = {
    "data-scientist": (
        [("create", "workflows", "argoproj.io"), ("list", "pods", "")],
        [("create", "inferenceservices", "serving.kserve.io"), ("get", "secrets", ""),
         ("create", "rolebindings", "rbac.authorization.k8s.io"), ("delete", "pods", "")],
    ),
    "ml-engineer": (
        [("list", "deployments", "apps"), ("get", "inferenceservices", "serving.kserve.io")],
        [("create", "inferenceservices", "serving.kserve.io"), ("get", "secrets", ""),
         ("create", "rolebindings", "rbac.authorization.k8s.io"), ("delete", "namespaces", "")],
    ),
    "ci": (
        [("create", "workflows", "argoproj.io"), ("get", "inferenceservices", "serving.kserve.io")],
        [("delete", "inferenceservices", "serving.kserve.io"), ("get", "secrets", ""),
         ("create", "rolebindings", "rbac.authorization.k8s.io"), ("create", "pods", "")],
    ),
    "auditor": (
        [("get", "pods", ""), ("list", "inferenceservices", "serving.kserve.io"),
         ("list", "applications", "argoproj.io")],
        [("create", "pods", ""), ("patch", "inferenceservices", "serving.kserve.io"),
         ("delete", "applications", "argoproj.io"), ("get", "secrets", ""),
         ("create", "rolebindings", "rbac.authorization.k8s.io")],
    ),
}  # fmt: skip


@pytest.mark.parametrize("stack", ("local", "dev", "int", "prod"))
def test_each_role_can_what_it_should_and_nothing_more(
    control_plane, plans, stack_configs, stack: str
) -> None:
    control_plane.on(plans[stack])
    config = stack_configs[stack]
    all_namespaces = {ns.name for ns in NAMESPACES.values()}
    checked = 0
    for role, (allowed, never) in INTENT.items():
        group = config.access.groups.get(role)
        if group is None:
            continue
        where = bound(config, role)
        for verb, resource, api_group in allowed:
            for namespace in sorted(all_namespaces):
                expected = namespace in where
                assert (
                    can(control_plane.api, group, verb, resource, namespace, api_group) is expected
                ), (
                    f"{stack}: {role} ({group}) {verb} {resource} in {namespace}: expected {expected}"
                )
                checked += 1
        for verb, resource, api_group in never:
            for namespace in sorted(all_namespaces):
                assert not can(control_plane.api, group, verb, resource, namespace, api_group), (
                    f"{stack}: {role} ({group}) may {verb} {resource} in {namespace}"
                )
                checked += 1
    print(f"\n{stack}: {checked} SubjectAccessReviews")


def test_int_binds_no_data_scientist_and_prod_binds_ci_to_serving_only(
    control_plane, plans
) -> None:
    control_plane.on(plans["int"])
    assert not can(
        control_plane.api, "data-scientists", "create", "workflows", PIPELINES, "argoproj.io"
    )
    control_plane.on(plans["prod"])
    assert can(control_plane.api, "ci", "get", "inferenceservices", SERVING, "serving.kserve.io")
    assert not can(control_plane.api, "ci", "create", "workflows", PIPELINES, "argoproj.io")
    assert can(control_plane.api, "auditors", "get", "pods", GOVERNANCE)
