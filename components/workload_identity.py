"""Workload identity (IRSA): an IAM role that exactly one Kubernetes service account may assume,
so pods get short-lived AWS credentials instead of stored keys."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import STS_AUDIENCE, web_identity_trust_policy


@dataclass(frozen=True)
class ServiceAccountRoleArgs:
    oidc_provider_arn: pulumi.Input[str]
    oidc_issuer: pulumi.Input[str]  # https://oidc.eks.<region>.amazonaws.com/id/<id>
    namespace: str
    service_accounts: tuple[str, ...]
    policy: pulumi.Input[str] | None = None  # inline policy document (JSON)
    managed_policy_arns: tuple[str, ...] = ()
    tags: dict[str, str] | None = None


class ServiceAccountRole(pulumi.ComponentResource):
    """An IAM role that only the named service accounts of one namespace may assume."""

    arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ServiceAccountRoleArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:workload_identity:ServiceAccountRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        trust = pulumi.Output.all(args.oidc_provider_arn, args.oidc_issuer).apply(
            lambda values: _trust_policy(
                values[0], values[1], args.namespace, args.service_accounts
            )
        )
        role = aws.iam.Role(name, assume_role_policy=trust, tags=args.tags, opts=child)
        if args.policy is not None:
            aws.iam.RolePolicy(name, role=role.id, policy=args.policy, opts=child)
        for index, policy_arn in enumerate(args.managed_policy_arns):
            aws.iam.RolePolicyAttachment(
                f"{name}-{index}", role=role.name, policy_arn=policy_arn, opts=child
            )
        self.arn = role.arn
        self.register_outputs({"arn": role.arn})


def _trust_policy(
    provider_arn: str, issuer: str, namespace: str, service_accounts: tuple[str, ...]
) -> str:
    subjects = [f"system:serviceaccount:{namespace}:{account}" for account in service_accounts]
    return web_identity_trust_policy(provider_arn, issuer, subjects, STS_AUDIENCE)
