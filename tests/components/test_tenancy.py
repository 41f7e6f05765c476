from components.tenancy import Tenancy, TenancyArgs
from mlops.config.model import StackConfig
from mlops.config.namespaces import ExternalFlow
from mlops.plan.runner import capture
from tests.components.helpers import named, of_type, schema_errors

NAMESPACE = "kubernetes:core/v1:Namespace"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def declare(
    config: StackConfig,
    namespaces: tuple[str, ...],
    external: tuple[ExternalFlow, ...] = (),
    control_plane_cidr: str | None = None,
) -> list:
    args = TenancyArgs(
        environment=config.environment,
        namespaces=namespaces,
        security=config.security,
        tenancy=config.tenancy,
        gpu=config.gpu,
        access=config.access,
        external_flows=external,
        control_plane_cidr=control_plane_cidr,
    )
    return capture(config.environment, lambda: Tenancy("tenancy", args))


def test_prod_namespaces_are_restricted_unless_their_tools_need_less(stack_configs):
    resources = declare(stack_configs["prod"], ("models", "monitoring", "kubeflow"))
    labels = {
        r.inputs["metadata"]["name"]: r.inputs["metadata"]["labels"]
        for r in of_type(resources, NAMESPACE)
    }
    assert labels["models"]["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["kubeflow"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert labels["monitoring"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert all(
        label["pod-security.kubernetes.io/warn"] == "restricted" for label in labels.values()
    )
    assert labels["models"]["mlops.platform/plane"] == "serving"


def test_default_deny_in_every_prod_namespace_with_explicit_allows(stack_configs):
    resources = declare(stack_configs["prod"], ("models", "storage", "governance", "monitoring"))
    policies = of_type(resources, NETWORK_POLICY)
    for namespace in ("models", "object-storage", "governance", "monitoring"):
        deny = named(resources, f"{namespace}-default-deny")
        assert deny.inputs["spec"]["policyTypes"] == ["Ingress", "Egress"]
        assert deny.inputs["spec"]["podSelector"] == {}
    names = {p.name for p in policies}
    assert "object-storage-allow-from-models" in names
    assert "models-allow-to-object-storage" in names
    assert "governance-allow-from-models" in names
    # flows whose source is not installed are not opened
    assert "object-storage-allow-from-kubeflow" not in names


def test_one_policy_per_namespace_pair_even_where_two_flows_meet(stack_configs):
    """Monitoring scrapes governance on every port and also calls its API on 8080: one policy
    on every port, not two objects with one name (the engine refuses duplicate URNs)."""
    resources = declare(stack_configs["prod"], ("governance", "monitoring"))
    allow = named(resources, "governance-allow-from-monitoring")
    assert "ports" not in allow.inputs["spec"]["ingress"][0]


def test_a_namespace_reaches_its_external_database_and_nothing_else_there(stack_configs):
    database = ExternalFlow("mlflow", "database", "10.20.0.0/16", (5432,))
    resources = declare(stack_configs["prod"], ("mlflow", "models"), (database,))
    allow = named(resources, "mlflow-allow-to-database")
    (rule,) = allow.inputs["spec"]["egress"]
    assert rule["to"] == [{"ipBlock": {"cidr": "10.20.0.0/16"}}]
    assert rule["ports"] == [{"port": 5432, "protocol": "TCP"}]
    assert allow.inputs["spec"]["policyTypes"] == ["Egress"]
    names = {p.name for p in of_type(resources, NETWORK_POLICY)}
    assert "models-allow-to-database" not in names


def test_under_default_deny_the_front_door_webhooks_and_models_stay_reachable(stack_configs):
    namespaces = ("gateway", "kserve", "models", "governance")
    resources = declare(stack_configs["prod"], namespaces, control_plane_cidr="10.0.0.0/16")
    door_policy = named(resources, "envoy-gateway-system-allow-from-anywhere")
    (door,) = door_policy.inputs["spec"]["ingress"]
    assert "from" not in door  # clients arrive through the load balancer from anywhere
    # the Envoy proxies' container ports: the listeners' 80 and 443 shifted by 10000
    assert door["ports"] == [
        {"port": 10080, "protocol": "TCP"},
        {"port": 10443, "protocol": "TCP"},
    ]
    for namespace in ("envoy-gateway-system", "kserve"):  # admission webhooks fail closed otherwise
        (rule,) = named(resources, f"{namespace}-allow-from-api-server").inputs["spec"]["ingress"]
        assert rule["from"] == [{"ipBlock": {"cidr": "10.0.0.0/16"}}]
    names = {p.name for p in of_type(resources, NETWORK_POLICY)}
    assert "models-allow-from-envoy-gateway-system" in names  # InferenceServices behind it
    assert (
        "governance-allow-from-api-server" not in names
        and "models-allow-from-anywhere" not in names
    )


def test_without_a_known_control_plane_webhooks_accept_any_source(stack_configs):
    resources = declare(stack_configs["prod"], ("kserve",))
    (rule,) = named(resources, "kserve-allow-from-api-server").inputs["spec"]["ingress"]
    assert "from" not in rule


def test_no_network_policies_when_the_stack_does_not_ask_for_them(stack_configs):
    resources = declare(stack_configs["local"], ("models", "storage"))
    assert of_type(resources, NETWORK_POLICY) == []


def test_workload_namespaces_get_quotas_with_gpu_limits(stack_configs):
    resources = declare(stack_configs["prod"], ("models", "governance"))
    quota = named(resources, "models-quota")
    assert quota.inputs["spec"]["hard"]["requests.nvidia.com/gpu"] == "6"
    assert named(resources, "models-limits").inputs["spec"]["limits"][0]["default"]["cpu"] == "1"
    assert not [
        r for r in of_type(resources, "kubernetes:core/v1:ResourceQuota") if "governance" in r.name
    ]


def test_roles_bound_only_where_the_stack_says(stack_configs):
    resources = declare(stack_configs["prod"], ("models", "governance", "kubeflow"))
    bindings = {
        r.name for r in of_type(resources, "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
    }
    assert bindings == {"models-ci", "models-auditor", "governance-auditor"}
    auditor = named(resources, "role-auditor").inputs["rules"]
    assert all(set(rule["verbs"]) <= {"get", "list", "watch"} for rule in auditor)


def test_every_object_validates_against_its_schema(stack_configs):
    resources = declare(
        stack_configs["prod"], ("models", "storage", "kubeflow", "monitoring", "gateway", "mlflow")
    )
    assert schema_errors(resources) == []
