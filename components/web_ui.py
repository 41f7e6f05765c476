"""The one way a web UI is exposed: an Ingress of the platform's class, TLS by config, SSO always."""

import pulumi
import pulumi_kubernetes as k8s

from mlops.config.model import ExposureConfig

CLUSTER_ISSUER_ANNOTATION = "cert-manager.io/cluster-issuer"
CLUSTER_ISSUER = "platform-issuer"
AUTH_URL_ANNOTATION = "nginx.ingress.kubernetes.io/auth-url"


def ui_ingress(
    name: str,
    *,
    namespace: str,
    host: str,
    service_name: str,
    service_port: int,
    exposure: ExposureConfig,
    auth_annotations: dict[str, str],
    opts: pulumi.ResourceOptions,
    annotations: dict[str, str] | None = None,
) -> k8s.networking.v1.Ingress:
    """An Ingress for one UI behind oauth2-proxy; refuses to expose a UI without SSO."""
    if AUTH_URL_ANNOTATION not in auth_annotations:
        raise ValueError(f"{name}: a web UI needs the SSO annotation {AUTH_URL_ANNOTATION}")
    all_annotations = {**(annotations or {}), **auth_annotations}
    if exposure.tls:
        all_annotations[CLUSTER_ISSUER_ANNOTATION] = CLUSTER_ISSUER
    return k8s.networking.v1.Ingress(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name, namespace=namespace, annotations=all_annotations
        ),
        spec=k8s.networking.v1.IngressSpecArgs(
            ingress_class_name=exposure.ingress_class,
            tls=[k8s.networking.v1.IngressTLSArgs(hosts=[host], secret_name=f"{name}-tls")]
            if exposure.tls
            else None,
            rules=[
                k8s.networking.v1.IngressRuleArgs(
                    host=host,
                    http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                        paths=[
                            k8s.networking.v1.HTTPIngressPathArgs(
                                path="/",
                                path_type="Prefix",
                                backend=k8s.networking.v1.IngressBackendArgs(
                                    service=k8s.networking.v1.IngressServiceBackendArgs(
                                        name=service_name,
                                        port=k8s.networking.v1.ServiceBackendPortArgs(
                                            number=service_port
                                        ),
                                    )
                                ),
                            )
                        ]
                    ),
                )
            ],
        ),
        opts=opts,
    )


def disruption_budget(
    name: str, *, namespace: str, match_labels: dict[str, str], opts: pulumi.ResourceOptions
) -> k8s.policy.v1.PodDisruptionBudget:
    """Keep at least one replica of a highly available service up during node drains."""
    return k8s.policy.v1.PodDisruptionBudget(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace),
        spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
            min_available=1,
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=match_labels),
        ),
        opts=opts,
    )
