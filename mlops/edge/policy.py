"""The Envoy Gateway SecurityPolicy of one route, built from the stack's `edge` section.

People sign in at the gateway (OIDC, browser routes only) and are recognised by the ID token the
gateway keeps in a cookie after sign-in, or by a bearer token from the same issuer; machine
clients present their own JWT (CI's OIDC token, a workload's service-account token) and skip the
sign-in redirect. Authorization then allows, in order: writers for every request, readers for GET and HEAD
and the route's read-only queries; everything else is denied. The same spec is what the gateway
enforces and what the tests evaluate with tokens signed by a test key.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from mlops.config.model import AuthConfig, Principals, Role, RouteAccess
from mlops.edge.routes import READ_METHODS, RouteSpec

PEOPLE = "people"  # the JWT provider of people's tokens: the platform's OIDC issuer
GROUPS_CLAIM = "groups"
SUBJECT_CLAIM = "sub"
# The cookie the gateway keeps a signed-in person's ID token in, where the JWT filter reads it
# (a fixed name instead of a random suffix; unencrypted, because the JWT filter verifies it).
ID_TOKEN_COOKIE = "mlops-id-token"
ACCESS_TOKEN_COOKIE = "mlops-access-token"
OIDC_CALLBACK = "/oauth2/callback"
OIDC_LOGOUT = "/oauth2/logout"
OIDC_SECRET = "gateway-oidc"  # Secret in the gateway namespace, key client-secret
OIDC_SECRET_KEY = "client-secret"


@dataclass(frozen=True)
class Identity:
    """A machine identity with its issuer and keys resolved (`issuer: cluster` becomes this
    cluster's service-account issuer)."""

    name: str
    issuer: pulumi.Input[str]
    jwks_uri: pulumi.Input[str]
    audiences: Sequence[str]
    subjects: Sequence[str]


@dataclass(frozen=True)
class People:
    """The platform's identity provider and the group each platform role maps to."""

    auth: AuthConfig
    groups: Mapping[Role, str]


def security_policy_spec(
    route: RouteSpec,
    access: RouteAccess,
    *,
    host: str,
    scheme: str,
    people: People,
    identities: Mapping[str, Identity],
    target_refs: list[dict[str, str]],
) -> dict[str, Any]:
    """The spec of the route's SecurityPolicy (authentication must be required)."""
    machines = [identities[name] for name in _machine_names(access.read, access.write)]
    providers = [_people_provider(route, people.auth)]
    providers += [_machine_provider(route, identity) for identity in machines]
    spec: dict[str, Any] = {
        "targetRefs": target_refs,
        "jwt": {"providers": providers},
        "authorization": {
            "defaultAction": "Deny",
            "rules": _rules(route, access, people, identities),
        },
    }
    if route.browser:
        spec["oidc"] = _oidc(host, scheme, people.auth)
    return spec


def _machine_names(*principals: Principals) -> list[str]:
    names: list[str] = []
    for group in principals:
        names += [name for name in group.machines if name not in names]
    return names


def _bearer(header: str) -> dict[str, str]:
    return {"name": header, "valuePrefix": "Bearer "}


def _people_provider(route: RouteSpec, auth: AuthConfig) -> dict[str, Any]:
    extract: dict[str, Any] = {"headers": [_bearer(route.jwt_header)]}
    if route.browser:
        extract["cookies"] = [ID_TOKEN_COOKIE]
    return {
        "name": PEOPLE,
        "issuer": auth.oidc_issuer_url,
        "audiences": [auth.oidc_client_id],
        "remoteJWKS": {"uri": auth.jwks_url},
        "extractFrom": extract,
    }


def _machine_provider(route: RouteSpec, identity: Identity) -> dict[str, Any]:
    return {
        "name": identity.name,
        "issuer": identity.issuer,
        "audiences": list(identity.audiences),
        "remoteJWKS": {"uri": identity.jwks_uri},
        "extractFrom": {"headers": [_bearer(route.jwt_header)]},
    }


def _oidc(host: str, scheme: str, auth: AuthConfig) -> dict[str, Any]:
    return {
        # the endpoints spelled out: the gateway needs no discovery request at start-up
        "provider": {
            "issuer": auth.oidc_issuer_url,
            "authorizationEndpoint": auth.authorize_url,
            "tokenEndpoint": auth.token_url,
        },
        "clientID": auth.oidc_client_id,
        "clientSecret": {"name": OIDC_SECRET},
        "scopes": ["openid", "email", "profile"],
        "redirectURL": f"{scheme}://{host}{OIDC_CALLBACK}",
        "logoutPath": OIDC_LOGOUT,
        "cookieNames": {"idToken": ID_TOKEN_COOKIE, "accessToken": ACCESS_TOKEN_COOKIE},
        # the JWT filter must read the ID token (its groups claim) and verifies its signature
        "disableTokenEncryption": True,
        # machine clients send their token and never follow a sign-in redirect
        "passThroughAuthHeader": True,
        "cookieConfig": {"sameSite": "Lax"},
    }


def _callers(
    principals: Principals, people: People, identities: Mapping[str, Identity]
) -> list[tuple[str, dict[str, Any]]]:
    """(name, principal) per kind of caller: people by their groups, each machine identity by
    the subjects it may present."""
    callers: list[tuple[str, dict[str, Any]]] = []
    if principals.roles:
        groups = sorted({people.groups[role] for role in principals.roles})
        claim = {"name": GROUPS_CLAIM, "valueType": "StringArray", "values": groups}
        callers.append((PEOPLE, {"jwt": {"provider": PEOPLE, "claims": [claim]}}))
    for name in principals.machines:
        claim = {
            "name": SUBJECT_CLAIM,
            "valueType": "String",
            "values": list(identities[name].subjects),
        }
        callers.append((name, {"jwt": {"provider": name, "claims": [claim]}}))
    return callers


def _rules(
    route: RouteSpec, access: RouteAccess, people: People, identities: Mapping[str, Identity]
) -> list[dict[str, Any]]:
    """Writers first (every request), then readers (GET, HEAD and the read-only queries)."""
    rules: list[dict[str, Any]] = []
    for who, principal in _callers(access.write, people, identities):
        rules.append({"name": f"{who}-write", "action": "Allow", "principal": principal})
    for who, principal in _callers(access.read, people, identities):
        operations = [{"methods": list(READ_METHODS)}] + [
            {"methods": ["POST"], "path": {"type": query.match, "value": query.path}}
            for query in route.read_queries
        ]
        rules += [
            {
                "name": f"{who}-read" if index == 0 else f"{who}-query-{index}",
                "action": "Allow",
                "principal": principal,
                "operation": operation,
            }
            for index, operation in enumerate(operations)
        ]
    return rules
