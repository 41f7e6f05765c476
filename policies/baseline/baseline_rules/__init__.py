"""The baseline pack's rules, one module per rule; every stack is held to all of them."""

from pulumi_policy import Policy

from baseline_rules import (
    aws_ec2_launchtemplate_require_imdsv2,
    aws_ec2_securitygroup_disallow_open_admin_ports,
    aws_ecr_repository_require_immutable_tags,
    aws_ecr_repository_require_scan_on_push,
    aws_eks_cluster_require_control_plane_logging,
    aws_eks_cluster_require_secrets_encryption,
    aws_eks_cluster_restrict_public_endpoint,
    aws_eks_nodegroup_require_gpu_taint,
    aws_kms_key_require_rotation,
    aws_rds_instance_disallow_public_access,
    aws_rds_instance_require_backups,
    aws_rds_instance_require_storage_encryption,
    aws_s3_bucket_disallow_public_access,
    aws_s3_bucket_require_encryption,
    aws_s3_bucket_require_versioning,
    kubernetes_helm_release_require_chart_version,
    kubernetes_ingress_disallow_retired_controller,
    kubernetes_namespace_require_pod_security_labels,
    kubernetes_pod_disallow_latest_tag,
    kubernetes_pod_disallow_plaintext_secrets,
    kubernetes_pod_disallow_privileged,
    kubernetes_pod_require_readonly_root_filesystem,
    kubernetes_pod_require_resources,
    kubernetes_service_disallow_loadbalancer,
)

POLICIES: list[Policy] = [
    module.POLICY
    for module in (
        aws_eks_cluster_restrict_public_endpoint,
        aws_eks_cluster_require_secrets_encryption,
        aws_eks_cluster_require_control_plane_logging,
        aws_eks_nodegroup_require_gpu_taint,
        aws_ec2_launchtemplate_require_imdsv2,
        aws_ec2_securitygroup_disallow_open_admin_ports,
        aws_s3_bucket_disallow_public_access,
        aws_s3_bucket_require_encryption,
        aws_s3_bucket_require_versioning,
        aws_rds_instance_require_storage_encryption,
        aws_rds_instance_disallow_public_access,
        aws_rds_instance_require_backups,
        aws_kms_key_require_rotation,
        aws_ecr_repository_require_immutable_tags,
        aws_ecr_repository_require_scan_on_push,
        kubernetes_pod_require_resources,
        kubernetes_pod_disallow_privileged,
        kubernetes_pod_require_readonly_root_filesystem,
        kubernetes_pod_disallow_latest_tag,
        kubernetes_pod_disallow_plaintext_secrets,
        kubernetes_service_disallow_loadbalancer,
        kubernetes_ingress_disallow_retired_controller,
        kubernetes_namespace_require_pod_security_labels,
        kubernetes_helm_release_require_chart_version,
    )
]
