"""IAM policy documents as data: the one place that writes their JSON."""

import json
from collections.abc import Sequence
from typing import Any

Statement = dict[str, Any]
# The audience AWS STS expects in a web-identity token (EKS service accounts, GitHub Actions).
STS_AUDIENCE = "sts.amazonaws.com"


def policy_document(*statements: Statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, sort_keys=True)


def service_trust_policy(service: str) -> str:
    """Trust policy letting one AWS service assume the role."""
    return policy_document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


def allow(actions: list[str], resources: list[str]) -> Statement:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def managed_policy_arn(name: str) -> str:
    return f"arn:aws:iam::aws:policy/{name}"


def web_identity_trust_policy(
    provider_arn: str, issuer: str, subjects: Sequence[str], audience: str
) -> str:
    """Trust policy letting only OIDC tokens of `issuer` with one of `subjects` (exactly) and
    `audience` assume the role: a service account's (IRSA) or CI's (GitHub Actions)."""
    host = issuer.removeprefix("https://")
    return policy_document(
        {
            "Effect": "Allow",
            "Principal": {"Federated": provider_arn},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{host}:sub": subjects[0] if len(subjects) == 1 else list(subjects),
                    f"{host}:aud": audience,
                }
            },
        }
    )
