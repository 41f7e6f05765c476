"""Where the platform keeps artifacts: one contract for every consumer, whichever the store."""

from dataclasses import dataclass

import pulumi

from mlops.config.object_store import ACCESS_KEY, SECRET_KEY

__all__ = ["ACCESS_KEY", "IRSA_ANNOTATION", "SECRET_KEY", "ArtifactStore"]

IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class ArtifactStore:
    """One bucket of the object store and how a workload authenticates to it.

    In-cluster store or external endpoint: `endpoint_url` is its URL and `credentials_secret`
    names a Secret with the keys `ACCESS_KEY` and `SECRET_KEY` of the consumer's own identity,
    present in the consumer's namespace. S3: `endpoint_url` and `credentials_secret` are None and
    `irsa_role_arn` is the IAM role the workload's ServiceAccount assumes (IRSA), so no static
    key exists anywhere. `region` is the region clients sign requests for.
    """

    endpoint_url: pulumi.Input[str] | None
    bucket: pulumi.Input[str]
    credentials_secret: pulumi.Input[str] | None
    irsa_role_arn: pulumi.Input[str] | None
    region: str | None = None

    def service_account_annotations(self) -> dict[str, pulumi.Input[str]]:
        """Annotations that bind a ServiceAccount to the store's IAM role (none with keys)."""
        return {IRSA_ANNOTATION: self.irsa_role_arn} if self.irsa_role_arn is not None else {}
