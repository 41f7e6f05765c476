"""Where the platform keeps artifacts: MinIO in the cluster or S3, one contract for every consumer."""

from dataclasses import dataclass

import pulumi

ACCESS_KEY = "access_key"
SECRET_KEY = "secret_key"
IRSA_ANNOTATION = "eks.amazonaws.com/role-arn"


@dataclass(frozen=True)
class ArtifactStore:
    """One bucket of the object store and how a workload authenticates to it.

    MinIO: `endpoint_url` is its in-cluster URL and `credentials_secret` names a Secret with the
    keys `access_key` and `secret_key`, present in every namespace that uses the store. S3:
    `endpoint_url` and `credentials_secret` are None and `irsa_role_arn` is the IAM role the
    workload's ServiceAccount assumes (IRSA), so no static key exists anywhere. `region` is the
    bucket's AWS region (S3 clients that do not get it from IRSA need it).
    """

    endpoint_url: pulumi.Input[str] | None
    bucket: pulumi.Input[str]
    credentials_secret: pulumi.Input[str] | None
    irsa_role_arn: pulumi.Input[str] | None
    region: str | None = None

    def service_account_annotations(self) -> dict[str, pulumi.Input[str]]:
        """Annotations that bind a ServiceAccount to the store's IAM role (empty for MinIO)."""
        return {IRSA_ANNOTATION: self.irsa_role_arn} if self.irsa_role_arn is not None else {}
