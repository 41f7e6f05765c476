"""The one way a web UI is exposed: an Ingress of the platform's class, TLS by config, SSO always."""

from collections.abc import Mapping

import pulumi
import pulumi_kubernetes as k8s

from components.ingress import tls_secret_name, web_annotations
from mlops.config.model import ExposureConfig

AUTH_URL_ANNOTATION = "nginx.ingress.kubernetes.io/auth-url"


def ui_ingress(
    name: str,
    *,
    namespace: str,
    host: str,
    service_name: str,
    service_port: int | str,
    exposure: ExposureConfig,
    auth_annotations: Mapping[str, str],
    opts: pulumi.ResourceOptions,
    annotations: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> k8s.networking.v1.Ingress:
    """An Ingress for one UI behind oauth2-proxy; refuses to expose a UI without SSO.
    `service_port` is a port number or a named port of the Service."""
    if AUTH_URL_ANNOTATION not in auth_annotations:
        raise ValueError(f"{name}: a web UI needs the SSO annotation {AUTH_URL_ANNOTATION}")
    port = (
        k8s.networking.v1.ServiceBackendPortArgs(name=service_port)
        if isinstance(service_port, str)
        else k8s.networking.v1.ServiceBackendPortArgs(number=service_port)
    )
    backend = k8s.networking.v1.IngressBackendArgs(
        service=k8s.networking.v1.IngressServiceBackendArgs(name=service_name, port=port)
    )
    return k8s.networking.v1.Ingress(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=namespace,
            labels=labels,
            annotations={**(annotations or {}), **web_annotations(exposure, auth_annotations)},
        ),
        spec=k8s.networking.v1.IngressSpecArgs(
            ingress_class_name=exposure.ingress_class,
            tls=[k8s.networking.v1.IngressTLSArgs(hosts=[host], secret_name=tls_secret_name(host))]
            if exposure.tls
            else None,
            rules=[
                k8s.networking.v1.IngressRuleArgs(
                    host=host,
                    http=k8s.networking.v1.HTTPIngressRuleValueArgs(
                        paths=[
                            k8s.networking.v1.HTTPIngressPathArgs(
                                path="/", path_type="Prefix", backend=backend
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
