"""The evidence collector's identity on the real API server, as prod's plan and gitops tree put
it there: a token for KFP's audience names the collector's service account to KFP's TokenReview
and is refused as an API-server credential; the SubjectAccessReview KFP's API server makes
before creating a run allows exactly `create runs` in the collector's profile namespace."""

import pytest
from kubernetes import client

from components.evidence_collector import KFP_GROUP
from mlops.config.namespaces import COLLECTOR_ACCOUNT, NAMESPACES
from mlops.gitops.collector import KFP_AUDIENCE

pytestmark = pytest.mark.cluster

COLLECTOR = NAMESPACES["collector"].name
USER = f"system:serviceaccount:{COLLECTOR}:{COLLECTOR_ACCOUNT}"
PROFILE = NAMESPACES["kubeflow"].name


def allowed(api, verb: str, resource: str, namespace: str, group: str = KFP_GROUP) -> bool:
    """What KFP's API server asks (multi-user mode) before acting for the token's user."""
    review = client.V1SubjectAccessReview(spec=client.V1SubjectAccessReviewSpec(
        user=USER, groups=["system:serviceaccounts", f"system:serviceaccounts:{COLLECTOR}",
                           "system:authenticated"],
        resource_attributes=client.V1ResourceAttributes(
            verb=verb, resource=resource, namespace=namespace, group=group, version="v1beta1")))  # fmt: skip
    return client.AuthorizationV1Api(api).create_subject_access_review(review).status.allowed


def test_the_collector_may_create_runs_in_its_profile_and_nothing_else(control_plane, plans):
    control_plane.on(plans["prod"])
    api = control_plane.api
    assert allowed(api, "create", "runs", PROFILE)
    for namespace in sorted({ns.name for ns in NAMESPACES.values()} - {PROFILE}):
        assert not allowed(api, "create", "runs", namespace), namespace
    for verb, resource in (("get", "runs"), ("list", "runs"), ("delete", "runs"),
                           ("create", "pipelines"), ("create", "experiments"),
                           ("create", "recurringruns")):  # fmt: skip
        assert not allowed(api, verb, resource, PROFILE), (verb, resource)
    for verb, resource, group in (("get", "secrets", ""), ("create", "workflows", "argoproj.io"),
                                  ("list", "pods", "")):  # fmt: skip
        for namespace in (PROFILE, COLLECTOR):
            assert not allowed(api, verb, resource, namespace, group), (verb, resource, namespace)


def test_the_kfp_token_authenticates_the_collector_to_kfp_only(control_plane, plans):
    control_plane.on(plans["prod"])
    core = client.CoreV1Api(control_plane.api)
    request = client.AuthenticationV1TokenRequest(
        spec=client.V1TokenRequestSpec(audiences=[KFP_AUDIENCE], expiration_seconds=600)
    )
    token = core.create_namespaced_service_account_token(
        COLLECTOR_ACCOUNT, COLLECTOR, request
    ).status.token
    auth = client.AuthenticationV1Api(control_plane.api)

    def review(audiences: list[str] | None) -> client.V1TokenReviewStatus:
        spec = client.V1TokenReviewSpec(token=token, audiences=audiences)
        return auth.create_token_review(client.V1TokenReview(spec=spec)).status

    kfp = review([KFP_AUDIENCE])  # KFP's TokenReviewAuthenticator
    assert kfp.authenticated and kfp.user.username == USER
    assert not review(None).authenticated  # the API server's own audience: refused
