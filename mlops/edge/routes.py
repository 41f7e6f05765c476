"""The services the gateway exposes, and what "read" means for each of them.

Reading is GET and HEAD, plus the few POST requests a service answers queries with (MLflow's
searches, Grafana's data-source queries, KServe's predictions): a read-only person must be able to
use the UI, and none of these change state. Everything else is a write.
"""

from dataclasses import dataclass
from typing import Literal

from mlops.config.model import RouteName, StackConfig

READ_METHODS = ("GET", "HEAD")
PathMatchType = Literal["Exact", "PathPrefix"]


@dataclass(frozen=True)
class ReadQuery:
    """A POST request that only reads."""

    path: str
    match: PathMatchType = "Exact"


@dataclass(frozen=True)
class RouteSpec:
    """One exposed service. `browser`: people sign in at the gateway (OIDC); otherwise only
    tokens are accepted. `jwt_header`: where clients put their JWT (the Audit API keeps
    `Authorization` for its own bearer tokens)."""

    name: RouteName
    browser: bool
    read_queries: tuple[ReadQuery, ...] = ()
    jwt_header: str = "Authorization"

    @property
    def resource_name(self) -> str:
        return self.name.replace("_", "-")


def _mlflow_searches() -> tuple[ReadQuery, ...]:
    searches = ("runs/search", "experiments/search", "logged-models/search")
    return tuple(
        ReadQuery(f"/{api}/2.0/mlflow/{search}")
        for api in ("api", "ajax-api")
        for search in searches
    )


ROUTES: dict[RouteName, RouteSpec] = {
    "mlflow": RouteSpec("mlflow", browser=True, read_queries=_mlflow_searches()),
    "kubeflow_pipelines": RouteSpec("kubeflow_pipelines", browser=True),
    "grafana": RouteSpec(
        "grafana",
        browser=True,
        read_queries=(ReadQuery("/api/ds/query"), ReadQuery("/api/frontend-metrics")),
    ),
    "argo_cd": RouteSpec("argo_cd", browser=True),
    "governance": RouteSpec("governance", browser=True, jwt_header="X-Edge-Token"),
    "notebooks": RouteSpec("notebooks", browser=True),
    "inference": RouteSpec(
        "inference",
        browser=False,
        read_queries=(
            ReadQuery("/v1/models/", "PathPrefix"),
            ReadQuery("/v2/models/", "PathPrefix"),
        ),
    ),
}


def route_hostname(config: StackConfig, route: RouteName) -> str:
    """The host a route answers on: the service's host, or every InferenceService host."""
    if route == "inference":
        return f"*.{config.serving.ingress_domain}"
    return str(getattr(config.exposure.hosts, route))
