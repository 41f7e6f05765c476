"""The planned SecurityPolicies of every stack, and tokens signed by a test key that the test
identity provider and the test CI and cluster issuers publish as their JWKS."""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from mlops.plan.runner import Plan, plan_stack
from tests.conftest import STACK_NAMES

SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: rsa.RSAPrivateKey

    def jwks(self) -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": "RS256"}]}

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm="RS256", headers={"kid": self.kid})


def new_key() -> SigningKey:
    return SigningKey(
        uuid.uuid4().hex, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )


@pytest.fixture(scope="session")
def test_key() -> SigningKey:
    return new_key()


@pytest.fixture(scope="session")
def other_key() -> SigningKey:
    """A key no provider trusts: what a forger holds."""
    return new_key()


@pytest.fixture(scope="session")
def edge_plans(stack_configs) -> dict[str, Plan]:
    return {name: plan_stack(name, stack_configs[name]) for name in STACK_NAMES}


def policies_of(plan: Plan) -> dict[str, dict[str, Any]]:
    """Each SecurityPolicy's spec by name (the route's resource name)."""
    return {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(SECURITY_POLICY)}


Mint = Callable[..., str]


@pytest.fixture(scope="session")
def mint(test_key: SigningKey) -> Mint:
    """A token for a provider of a planned policy: its issuer and first audience, signed by the
    test key, valid for five minutes unless told otherwise."""

    def make(provider: dict[str, Any], key: SigningKey | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": provider["issuer"],
            "aud": provider["audiences"][0],
            "iat": now,
            "exp": now + 300,
            **claims,
        }
        return (key or test_key).sign(body)

    return make
