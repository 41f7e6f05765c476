"""Envoy Gateway's SecurityPolicy semantics, for evaluating the planned policy objects against
requests carrying tokens signed by a test key (PyJWT verifies them).

What is modelled, from Envoy Gateway's API documentation and Envoy's filters:
- OIDC (browser routes): a request without a session is redirected to the identity provider,
  unless `passThroughAuthHeader` is on and it carries a header a JWT provider extracts from;
  after sign-in the ID token travels in the `cookieNames.idToken` cookie.
- JWT: the providers are alternatives (Envoy's `requires_any`); a token is taken from each
  provider's `extractFrom` headers (with their prefix) and cookies, and must verify against that
  provider's keys, issuer and audiences, and be unexpired; no verified token: 401.
- Authorization: rules in order, the first whose operation (methods, path) and principal (the
  provider that verified the token, its claims: String equals one of the values, StringArray
  contains one) match decides; none: `defaultAction` (403 when Deny).
Envoy itself does not run here; this is the floor the proxy's behaviour is held to.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    cookies: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    status: int  # 200 forwarded, 302 sign-in redirect, 401 unauthenticated, 403 refused
    provider: str | None = None
    rule: str | None = None

    @property
    def allowed(self) -> bool:
        return self.status == 200


def _header(request: Request, name: str) -> str | None:
    wanted = name.lower()
    return next((v for k, v in request.headers.items() if k.lower() == wanted), None)


def _tokens(provider: Mapping[str, Any], request: Request) -> list[str]:
    extract = provider.get("extractFrom") or {
        "headers": [{"name": "Authorization", "valuePrefix": "Bearer "}]
    }
    found = []
    for header in extract.get("headers", []):
        value = _header(request, header["name"])
        prefix = header.get("valuePrefix", "")
        if value is not None and value.startswith(prefix):
            found.append(value[len(prefix) :])
    found += [
        request.cookies[name] for name in extract.get("cookies", []) if name in request.cookies
    ]
    return found


def _verify(
    provider: Mapping[str, Any], token: str, jwks: Mapping[str, dict[str, Any]]
) -> dict[str, Any] | None:
    keys = jwks.get(provider["remoteJWKS"]["uri"])
    if keys is None:
        return None
    try:
        kid = jwt.get_unverified_header(token).get("kid")
        key_set = jwt.PyJWKSet.from_dict(keys)
        key = next(k for k in key_set.keys if k.key_id == kid)
        return jwt.decode(
            token,
            key=key,
            algorithms=["RS256", "ES256"],
            audience=provider.get("audiences") or None,
            issuer=provider.get("issuer") or None,
            options={"verify_aud": bool(provider.get("audiences"))},
        )
    except (jwt.PyJWTError, StopIteration):
        return None


def _claim(claims: Mapping[str, Any], name: str) -> Any:
    value: Any = claims
    for part in name.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _principal_matches(
    principal: Mapping[str, Any], provider: str, claims: Mapping[str, Any]
) -> bool:
    wanted = principal.get("jwt")
    if wanted is None or wanted["provider"] != provider:
        return False
    for claim in wanted.get("claims", []):
        value = _claim(claims, claim["name"])
        if claim.get("valueType", "String") == "StringArray":
            if not isinstance(value, list) or not set(value) & set(claim["values"]):
                return False
        elif value not in claim["values"]:
            return False
    scopes = set(str(claims.get("scope", "")).split())
    return set(wanted.get("scopes", [])) <= scopes


def _operation_matches(operation: Mapping[str, Any] | None, request: Request) -> bool:
    if not operation:
        return True
    if "methods" in operation and request.method not in operation["methods"]:
        return False
    path = operation.get("path")
    if path is None:
        return True
    kind, value = path.get("type", "PathPrefix"), path["value"]
    if kind == "Exact":
        matched = request.path == value
    elif kind == "PathPrefix":
        matched = (
            request.path == value.rstrip("/")
            or request.path.startswith(value.rstrip("/") + "/")
            or value == "/"
        )
    else:
        raise ValueError(f"path match type {kind} is not modelled")
    return matched != bool(path.get("invert", False))


def evaluate(
    spec: Mapping[str, Any], request: Request, jwks: Mapping[str, dict[str, Any]]
) -> Decision:
    """The gateway's answer to one request under one SecurityPolicy spec."""
    providers = spec.get("jwt", {}).get("providers", [])
    oidc = spec.get("oidc")
    if oidc is not None:
        pass_through = oidc.get("passThroughAuthHeader") and any(
            _header(request, header["name"]) is not None
            for provider in providers
            for header in (provider.get("extractFrom") or {}).get(
                "headers", [{"name": "Authorization"}]
            )
        )
        signed_in = oidc["cookieNames"]["idToken"] in request.cookies
        if not pass_through and not signed_in:
            return Decision(302)
    verified: tuple[str, dict[str, Any]] | None = None
    for provider in providers:
        for token in _tokens(provider, request):
            claims = _verify(provider, token, jwks)
            if claims is not None:
                verified = (provider["name"], claims)
                break
        if verified:
            break
    if providers and verified is None:
        return Decision(401)
    authorization = spec.get("authorization")
    if authorization is None:
        return Decision(200, verified[0] if verified else None)
    for rule in authorization.get("rules", []):
        if not _operation_matches(rule.get("operation"), request):
            continue
        if verified is None or not _principal_matches(rule.get("principal", {}), *verified):
            continue
        status = 200 if rule["action"] == "Allow" else 403
        return Decision(status, verified[0], rule.get("name"))
    status = 200 if authorization.get("defaultAction", "Deny") == "Allow" else 403
    return Decision(status, verified[0] if verified else None)
