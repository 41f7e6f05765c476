"""IAM policy documents as data: the one place that writes their JSON."""

import json
from typing import Any

Statement = dict[str, Any]


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
