"""The authorization each stack configures in `edge.routes`, proved on the planned
SecurityPolicy objects (what Envoy Gateway enforces) with tokens signed by a test key: every
role and machine identity is allowed exactly the reads and writes its route grants it, and
refused the rest; unsigned, forged, expired and foreign tokens get no further than the gateway."""

import time
from typing import Any

import pytest

from mlops.config.model import StackConfig, exposed_routes
from mlops.edge.policy import ID_TOKEN_COOKIE, PEOPLE
from mlops.edge.routes import ROUTES
from tests.conftest import STACK_NAMES
from tests.edge.conftest import Mint, SigningKey, policies_of
from tests.edge.security_policy import Request, evaluate

WRITE = ("POST", "/mlops-edge-test/write")
READ = ("GET", "/")


def provider(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return next(p for p in spec["jwt"]["providers"] if p["name"] == name)


def keys_for(spec: dict[str, Any], key: SigningKey) -> dict[str, dict[str, Any]]:
    """Every provider's JWKS endpoint serves the test key."""
    return {p["remoteJWKS"]["uri"]: key.jwks() for p in spec["jwt"]["providers"]}


def bearer(route: str, token: str) -> dict[str, str]:
    return {ROUTES[route].jwt_header: f"Bearer {token}"}


def callers(config: StackConfig, spec: dict[str, Any], mint: Mint) -> dict[str, dict[str, str]]:
    """One token per role (its group in the groups claim) and per machine identity the policy
    knows (its first subject), as request headers."""
    tokens = {}
    people = provider(spec, PEOPLE)
    for role, group in config.access.groups.items():
        tokens[f"role:{role}"] = mint(people, sub=f"{role}@example.com", groups=[group])
    for name, machine in config.edge.machines.items():
        if any(p["name"] == name for p in spec["jwt"]["providers"]):
            tokens[f"machine:{name}"] = mint(provider(spec, name), sub=machine.subjects[0])
    return tokens


def granted(config: StackConfig, route: str, who: str, mode: str) -> bool:
    access = config.edge.routes[route]
    kind, name = who.split(":", 1)
    principals = [access.write] if mode == "write" else [access.read, access.write]
    return any(name in (p.roles if kind == "role" else p.machines) for p in principals)


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_every_route_grants_exactly_what_its_stack_configures(
    stack, stack_configs, edge_plans, mint, test_key
):
    config = stack_configs[stack]
    policies = policies_of(edge_plans[stack])
    checked = 0
    for route in exposed_routes(config):
        access = config.edge.routes[route]
        name = ROUTES[route].resource_name
        if access.authentication == "none":
            assert name not in policies
            continue
        spec = policies[name]
        jwks = keys_for(spec, test_key)
        # a prefix query (KServe's /v1/models/) is tried with a prediction below it
        queries = [
            ("POST", query.path + ("model:predict" if query.path.endswith("/") else ""))
            for query in ROUTES[route].read_queries
        ]
        for who, token in callers(config, spec, mint).items():
            for (method, path), mode in [
                (READ, "read"),
                *((q, "read") for q in queries),
                (WRITE, "write"),
            ]:
                decision = evaluate(spec, Request(method, path, bearer(route, token)), jwks)
                expected = granted(config, route, who, mode)
                assert decision.allowed == expected, (stack, route, who, method, path, decision)
                if not expected:
                    assert decision.status == 403, (stack, route, who, decision)
                checked += 1
    assert checked > 50


def test_prod_people_read_mlflow_and_kfp_and_only_ci_writes(
    stack_configs, edge_plans, mint, test_key
):
    prod = stack_configs["prod"]
    policies = policies_of(edge_plans["prod"])
    for route in ("mlflow", "kubeflow_pipelines"):
        assert prod.edge.routes[route].write.roles == []
        assert prod.edge.routes[route].write.machines == ["ci"]
        spec = policies[ROUTES[route].resource_name]
        jwks = keys_for(spec, test_key)
        engineer = mint(provider(spec, PEOPLE), sub="ana@example.com", groups=["ml-engineers"])
        ci = mint(provider(spec, "ci"), sub="repo:example-org/mlops-platform:environment:prod")
        signed_in = {ID_TOKEN_COOKIE: engineer}
        assert evaluate(spec, Request("GET", "/", cookies=signed_in), jwks).allowed
        assert (
            evaluate(
                spec, Request("POST", "/api/2.0/mlflow/runs/create", cookies=signed_in), jwks
            ).status
            == 403
        )
        assert (
            evaluate(
                spec, Request("DELETE", "/apis/v2beta1/runs/1", cookies=signed_in), jwks
            ).status
            == 403
        )
        assert evaluate(
            spec, Request("POST", "/api/2.0/mlflow/runs/create", bearer(route, ci)), jwks
        ).allowed
    mlflow = policies["mlflow"]
    engineer = mint(provider(mlflow, PEOPLE), sub="ana@example.com", groups=["ml-engineers"])
    search = Request(
        "POST", "/ajax-api/2.0/mlflow/runs/search", cookies={ID_TOKEN_COOKIE: engineer}
    )
    assert evaluate(mlflow, search, keys_for(mlflow, test_key)).allowed  # the UI's searches read


def test_prod_audit_api_appends_only_from_the_auditees_identities(
    stack_configs, edge_plans, mint, test_key
):
    prod = stack_configs["prod"]
    spec = policies_of(edge_plans["prod"])["governance"]
    jwks = keys_for(spec, test_key)
    assert prod.edge.routes["governance"].write.roles == []
    auditor = mint(provider(spec, PEOPLE), sub="au@example.com", groups=["auditors"])
    for subject in prod.edge.machines["workloads"].subjects:
        workload = mint(provider(spec, "workloads"), sub=subject)
        append = Request(
            "POST",
            "/v1/entries",
            {"X-Edge-Token": f"Bearer {workload}", "Authorization": "Bearer audit-token"},
        )
        assert evaluate(spec, append, jwks).allowed
    stranger = mint(provider(spec, "workloads"), sub="system:serviceaccount:default:anything")
    append = Request("POST", "/v1/entries", {"X-Edge-Token": f"Bearer {stranger}"})
    assert evaluate(spec, append, jwks).status == 403
    signed_in = {ID_TOKEN_COOKIE: auditor}
    assert evaluate(spec, Request("GET", "/v1/entries", cookies=signed_in), jwks).allowed
    assert evaluate(spec, Request("POST", "/v1/entries", cookies=signed_in), jwks).status == 403


def test_bad_credentials_never_pass_the_gateway(edge_plans, mint, test_key, other_key):
    policies = policies_of(edge_plans["prod"])
    mlflow, inference = policies["mlflow"], policies["inference"]
    people = provider(mlflow, PEOPLE)
    jwks = keys_for(mlflow, test_key)
    # a browser without a session is sent to sign in; a machine route answers 401
    assert evaluate(mlflow, Request("GET", "/"), jwks).status == 302
    assert (
        evaluate(
            inference, Request("POST", "/v1/models/m:predict"), keys_for(inference, test_key)
        ).status
        == 401
    )
    engineer = {"sub": "ana@example.com", "groups": ["ml-engineers"]}
    for token in (
        mint(people, key=other_key, **engineer),  # forged: a key the issuer never published
        mint(people, exp=int(time.time()) - 60, **engineer),  # expired
        mint(people, aud="another-client", **engineer),  # issued to another application
        mint(people, iss="https://attacker.example.com/realms/mlops", **engineer),
        "not-a-jwt",
    ):
        decision = evaluate(mlflow, Request("GET", "/", bearer("mlflow", token)), jwks)
        assert decision.status == 401, decision


def test_a_person_is_not_a_machine(edge_plans, mint, test_key):
    """A person's token with the CI subject stays a person: the ci rule names the ci provider."""
    spec = policies_of(edge_plans["prod"])["mlflow"]
    forged = mint(
        provider(spec, PEOPLE), sub="repo:example-org/mlops-platform:environment:prod", groups=[]
    )
    write = Request("POST", "/api/2.0/mlflow/runs/create", bearer("mlflow", forged))
    assert evaluate(spec, write, keys_for(spec, test_key)).status == 403


def test_inference_is_open_only_where_the_stack_says_and_never_in_int_or_prod(
    stack_configs, edge_plans
):
    for stack in STACK_NAMES:
        policies = policies_of(edge_plans[stack])
        open_ = stack_configs[stack].edge.routes["inference"].authentication == "none"
        assert ("inference" not in policies) == open_
    assert stack_configs["local"].edge.routes["inference"].authentication == "none"
    for stack in ("int", "prod"):
        assert "oidc" not in policies_of(edge_plans[stack])["inference"]  # tokens only
