"""The promoter's model-transfer roles on S3: one IAM role per side of a promotion whose bucket
this stack holds (mlops.config.object_store.TRANSFER_SIDES), each allowed exactly its side and
assumable only with an OIDC token of the machine identity `storage.transfer.machine` names (CI).

A promotion (mlops.promotion.transfer) reads the registry with the source role of the stack whose
MLflow registered the model and writes `released-models` with the target role of the stack that
serves it; neither role can do the other's half, and no serving identity reads another
environment's store.
"""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import STS_AUDIENCE, web_identity_trust_policy
from mlops.config.object_store import TRANSFER_IDENTITY


@dataclass(frozen=True)
class ModelTransferRolesArgs:
    issuer: pulumi.Input[str]  # the machine identity's OIDC issuer (https://...)
    subjects: tuple[str, ...]  # the `sub` claims that may assume the roles, matched exactly
    oidc_provider_arn: pulumi.Input[str] | None  # the account's provider of `issuer`; None: create
    policies: dict[str, pulumi.Input[str]]  # side ("source", "target") -> its IAM policy
    tags: dict[str, str]


class ModelTransferRoles(pulumi.ComponentResource):
    """The roles, named `<side>` in `arns`, which the stack exports for CI's AWS profiles."""

    arns: dict[str, pulumi.Output[str]]

    def __init__(
        self, name: str, args: ModelTransferRolesArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlops:model_transfer:ModelTransferRoles", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        provider_arn = args.oidc_provider_arn
        if provider_arn is None:
            provider_arn = aws.iam.OpenIdConnectProvider(
                f"{name}-oidc",
                url=args.issuer,
                client_id_lists=[STS_AUDIENCE],
                tags=args.tags,
                opts=child,
            ).arn
        trust = pulumi.Output.all(provider_arn, args.issuer).apply(
            lambda values: web_identity_trust_policy(
                values[0], values[1], args.subjects, STS_AUDIENCE
            )
        )
        self.arns = {}
        for side, policy in args.policies.items():
            role = aws.iam.Role(
                f"{name}-{side}",
                description=f"{TRANSFER_IDENTITY}: the {side} side of a promotion's model copy",
                assume_role_policy=trust,
                max_session_duration=3600,
                tags=args.tags,
                opts=child,
            )
            aws.iam.RolePolicy(f"{name}-{side}", role=role.id, policy=policy, opts=child)
            self.arns[side] = role.arn
        self.register_outputs({"arns": self.arns})
