"""The offline plan of each repository stack holds what the platform issue promises."""

import asyncio
import gc
import json
import logging
import subprocess
import sys

import pytest

from mlops.plan.capture import SECRET_PLACEHOLDER, DuplicateResourceError
from mlops.plan.runner import Plan, capture, plan_stack
from tests.components.helpers import schema_errors
from tests.conftest import REPO, STACK_NAMES


@pytest.fixture(scope="module")
def plans(stack_configs) -> dict[str, Plan]:
    return {name: plan_stack(name, stack_configs[name]) for name in STACK_NAMES}


def test_a_plan_leaves_the_sdk_as_it_found_it(stack_configs):
    """Planning skips Pulumi's source positions; a real `pulumi up` in the same process must not."""
    from pulumi.runtime import resource

    before = resource._get_stack_trace
    plan_stack("local", stack_configs["local"])
    assert resource._get_stack_trace is before


def test_a_plan_runs_after_asyncio_run_left_no_event_loop(stack_configs):
    """`mlops preflight` builds kustomize trees with `asyncio.run`, which leaves the thread
    without a current loop; a plan after that must still find one for its Outputs."""
    asyncio.run(asyncio.sleep(0))
    assert plan_stack("local", stack_configs["local"]).of_type("pulumi:providers:kubernetes")


def declared(plan: Plan) -> list[str]:
    """Registration order and key order vary from run to run; what is declared does not."""
    return sorted(
        json.dumps([r.type, r.name, r.parent, r.inputs], sort_keys=True) for r in plan.resources
    )


PLAN_IN_A_FRESH_PROCESS = """
import json, sys, threading
from pathlib import Path
from mlops.config.loader import load_stack
from mlops.plan.runner import plan_stack, plan_stacks
configs = {name: load_stack(Path("stacks"), name) for name in ("dev", "local")}
if sys.argv[1] == "after-a-plan":
    plan_stack("local", configs["local"])
if sys.argv[1] == "no-shared-memory":
    import multiprocessing.context
    def refuse(*args, **kwargs):
        raise OSError(38, "Function not implemented")
    multiprocessing.context.ForkContext.Pool = refuse
threads = threading.active_count()
plans = plan_stacks(configs, max_workers=2)
print(json.dumps({"threads": threads, "plans": {
    p.stack: sorted(json.dumps([r.type, r.name, r.parent, r.inputs], sort_keys=True)
                    for r in p.resources)
    for p in plans}}))
"""


def plan_in_a_fresh_process(mode: str) -> dict:
    completed = subprocess.run(
        [sys.executable, "-c", PLAN_IN_A_FRESH_PROCESS, mode],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,  # a fork that inherits a lock held by a thread would hang here
        check=True,
    )
    return json.loads(completed.stdout)


@pytest.mark.parametrize("mode", ["fresh", "after-a-plan", "no-shared-memory"])
def test_stacks_planned_together_match_one_by_one(plans, mode):
    """Fresh, as the `mlops` command starts, the stacks are planned by forked workers; after a
    plan in the same process Pulumi's executor threads exist, and where no pool can be made
    (no shared memory), they are planned in turn."""
    result = plan_in_a_fresh_process(mode)
    assert (result["threads"] == 1) is (mode != "after-a-plan")
    assert list(result["plans"]) == ["dev", "local"]
    for stack, resources in result["plans"].items():
        assert resources == declared(plans[stack])


def test_int_and_prod_databases_are_reachable_through_their_default_deny(plans, stack_configs):
    """MLflow and the governance service keep their data in RDS, in the VPC's private subnets."""
    for stack in ("int", "prod"):
        cidr = stack_configs[stack].network.vpc_cidr
        allowed = {
            p.inputs["metadata"]["namespace"]: p.inputs["spec"]["egress"][0]
            for p in plans[stack].of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
            if p.inputs["metadata"]["name"] == "allow-to-database"
        }
        assert set(allowed) == {"mlflow", "governance"}
        for rule in allowed.values():
            assert rule["to"] == [{"ipBlock": {"cidr": cidr}}]
            assert rule["ports"] == [{"port": 5432, "protocol": "TCP"}]
    for stack in ("local", "dev"):  # in-cluster PostgreSQL, no default deny
        names = {r.name for r in plans[stack].resources}
        assert not any(name.endswith("allow-to-database") for name in names)


def test_prometheus_scrapes_the_nodes_through_the_default_deny(plans, stack_configs):
    (nodes,) = [
        p
        for p in plans["prod"].of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.name == "monitoring-allow-to-nodes"
    ]
    (rule,) = nodes.inputs["spec"]["egress"]
    assert rule["to"] == [{"ipBlock": {"cidr": stack_configs["prod"].network.vpc_cidr}}]
    assert {port["port"] for port in rule["ports"]} == {9100, 10250}


def test_no_two_resources_share_a_urn(plans):
    for plan in plans.values():
        urns = [resource.urn for resource in plan.resources]
        assert len(urns) == len(set(urns))


def test_a_resource_declared_twice_fails_the_plan_as_the_engine_would(caplog):
    import pulumi_kubernetes as k8s

    def twice() -> None:
        for _ in range(2):
            k8s.core.v1.ConfigMap("same", metadata={"name": "same", "namespace": "x"})

    with pytest.raises(DuplicateResourceError, match="ConfigMap::same: declared twice"):
        capture("local", twice)
    # the refused run's futures die with the next run: asyncio reports them as never
    # retrieved, here rather than at the end of the session
    with caplog.at_level(logging.CRITICAL, logger="asyncio"):
        capture("local", lambda: None)
        gc.collect()


def test_local_declares_no_aws_resource(plans):
    types = {resource.type for resource in plans["local"].resources}
    assert not [t for t in types if t.startswith("aws:") or t == "pulumi:providers:aws"]
    assert "pulumi:providers:kubernetes" in types


def test_prod_cluster_is_private_encrypted_and_logged(plans):
    (cluster,) = plans["prod"].of_type("aws:eks/cluster:Cluster")
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is False
    assert vpc["endpointPrivateAccess"] is True
    assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert set(cluster.inputs["enabledClusterLogTypes"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    assert len(plans["prod"].of_type("aws:ec2/vpc:Vpc")) == 1
    assert len(plans["prod"].of_type("aws:ec2/subnet:Subnet")) == 6  # three zones, public + private


def test_dev_public_endpoint_is_restricted_to_listed_ranges(plans):
    (cluster,) = plans["dev"].of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert cluster.inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_prod_has_three_node_groups_and_gpu_ones_are_tainted(plans):
    groups = {
        g.inputs["labels"]["mlops.platform/pool"]: g
        for g in plans["prod"].of_type("aws:eks/nodeGroup:NodeGroup")
    }
    assert set(groups) == {"system", "training-gpu", "inference-gpu"}
    for pool in ("training-gpu", "inference-gpu"):
        taints = groups[pool].inputs["taints"]
        assert {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"} in taints
        assert groups[pool].inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert groups["training-gpu"].inputs["scalingConfig"]["minSize"] == 0
    assert not groups["system"].inputs.get("taints")


def test_every_launch_template_requires_imdsv2(plans):
    for stack in ("dev", "int", "prod"):
        for template in plans[stack].of_type("aws:ec2/launchTemplate:LaunchTemplate"):
            assert template.inputs["metadataOptions"]["httpTokens"] == "required"
            assert template.inputs["blockDeviceMappings"][0]["ebs"]["encrypted"] == "true"


def test_prod_buckets_are_encrypted_versioned_and_private(plans, stack_configs):
    prod = plans["prod"]
    buckets = prod.of_type("aws:s3/bucket:Bucket")
    assert len(buckets) == len(stack_configs["prod"].storage.buckets) == 5
    assert len(prod.of_type("aws:s3/bucketVersioning:BucketVersioning")) == len(buckets)
    for block in prod.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"):
        assert all(
            block.inputs[k] is True
            for k in (
                "blockPublicAcls",
                "blockPublicPolicy",
                "ignorePublicAcls",
                "restrictPublicBuckets",
            )
        )
    for encryption in prod.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    ):
        assert (
            encryption.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"]
            == "aws:kms"
        )


def test_prod_database_is_encrypted_private_and_backed_up(plans):
    for instance in plans["prod"].of_type("aws:rds/instance:Instance"):
        assert instance.inputs["storageEncrypted"] is True
        assert instance.inputs["publiclyAccessible"] is False
        assert instance.inputs["backupRetentionPeriod"] == 30
        assert instance.inputs["multiAz"] is True
        assert instance.inputs["password"] == SECRET_PLACEHOLDER


def test_ecr_repositories_are_immutable_and_scanned(plans):
    repositories = plans["prod"].of_type("aws:ecr/repository:Repository")
    assert repositories
    for repository in repositories:
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"]["scanOnPush"] is True


def test_kms_keys_rotate(plans):
    keys = plans["prod"].of_type("aws:kms/key:Key")
    assert keys and all(key.inputs["enableKeyRotation"] is True for key in keys)


def test_prod_namespaces_are_guarded(plans):
    prod = plans["prod"]
    namespaces = prod.of_type("kubernetes:core/v1:Namespace")
    assert all(
        "pod-security.kubernetes.io/enforce" in n.inputs["metadata"]["labels"] for n in namespaces
    )
    denied = {
        p.inputs["metadata"]["namespace"]
        for p in prod.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
        if p.inputs["metadata"]["name"] == "default-deny"
    }
    assert denied == {n.inputs["metadata"]["name"] for n in namespaces}
    assert prod.of_type("kubernetes:core/v1:ResourceQuota")


def test_secrets_never_appear_in_a_plan(plans):
    for plan in plans.values():
        text = repr(plan.as_json())
        assert "mock-password" not in text
        assert "offline-plan-placeholder" not in text


def test_every_kubernetes_object_of_every_stack_validates(plans):
    for plan in plans.values():
        assert schema_errors(plan.resources) == []


def helm_versions(plan: Plan) -> dict[str, str]:
    return {r.name: r.inputs["version"] for r in plan.of_type("kubernetes:helm.sh/v3:Release")}


def test_prod_pins_a_chart_for_every_platform_tool(plans, stack_configs):
    charts = stack_configs["prod"].charts
    versions = helm_versions(plans["prod"])
    assert versions["kserve"] == charts.kserve.version
    assert versions["kube-prometheus-stack"] == charts.kube_prometheus_stack.version
    assert versions["argo-cd"] == charts.argo_cd.version
    assert versions["envoy-gateway"] == charts.envoy_gateway.version
    assert versions["gateway-crds"] == charts.gateway_crds.version
    assert "ingress-nginx" not in versions and "oauth2-proxy" not in versions
    assert versions["mlflow"] == charts.mlflow.version
    assert versions["nvidia-device-plugin"] == charts.nvidia_device_plugin.version
    trees = plans["prod"].of_type("kubernetes:kustomize/v2:Directory")
    assert len(trees) == 2  # upstream's cluster-scoped step, then the namespaced tree
    for tree in trees:
        assert tree.inputs["directory"].endswith(f"?ref={charts.kubeflow_pipelines.version}")


def test_no_stack_installs_minio(plans):
    """MinIO's server is archived: no chart, image or object of it in any plan."""
    for stack, plan in plans.items():
        declared_text = json.dumps([r.inputs for r in plan.resources]).lower()
        assert "minio" not in declared_text.replace("mlpipeline-minio-artifact", ""), stack


def test_local_and_dev_run_the_in_cluster_store_and_notebooks(plans, stack_configs):
    for stack in ("local", "dev"):
        (server,) = [
            d
            for d in plans[stack].of_type("kubernetes:apps/v1:Deployment")
            if d.inputs["metadata"]["namespace"] == "object-storage"
        ]
        (container,) = server.inputs["spec"]["template"]["spec"]["containers"]
        assert container["image"] == stack_configs[stack].storage.image
        assert "jupyterhub" in helm_versions(plans[stack])
    assert "jupyterhub" not in helm_versions(plans["prod"])


def test_each_consumer_namespace_has_its_own_store_identity(plans, stack_configs):
    """One key Secret per installed consumer, in its namespace, and one identity per Secret in
    the store's identity file; on S3, one IAM role per consumer instead."""
    from mlops.config.namespaces import NAMESPACES
    from mlops.config.object_store import CREDENTIALS_SECRET, STORE_GRANTS

    for stack, plan in plans.items():
        secrets = {
            s.inputs["metadata"]["namespace"]
            for s in plan.of_type("kubernetes:core/v1:Secret")
            if s.inputs["metadata"]["name"] == CREDENTIALS_SECRET
        }
        installed = {
            r.inputs["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Namespace")
        }
        consumers = {key for key in STORE_GRANTS if NAMESPACES[key].name in installed}
        if stack_configs[stack].storage.mode == "in_cluster":
            assert secrets == {NAMESPACES[key].name for key in consumers}, stack
        else:
            assert secrets == set(), stack
            roles = {r.name for r in plan.of_type("aws:iam/role:Role")}
            assert {f"{key}-object-storage" for key in consumers} <= roles, stack


def test_governance_service_is_deployed_in_every_stack(plans):
    for plan in plans.values():
        deployments = [
            d
            for d in plan.of_type("kubernetes:apps/v1:Deployment")
            if d.inputs["metadata"]["namespace"] == "governance"
        ]
        assert len(deployments) == 1
    prod_governance = next(
        d
        for d in plans["prod"].of_type("kubernetes:apps/v1:Deployment")
        if d.inputs["metadata"]["namespace"] == "governance"
    )
    assert prod_governance.inputs["spec"]["replicas"] == 3


def test_serving_mode_follows_the_stack(plans):
    assert plans["prod"].of_type("kubernetes:operator.knative.dev/v1beta1:KnativeServing")
    assert not plans["dev"].of_type("kubernetes:operator.knative.dev/v1beta1:KnativeServing")


def test_s3_consumers_get_workload_identities_instead_of_keys(plans):
    roles = {r.name for r in plans["prod"].of_type("mlops:workload_identity:ServiceAccountRole")}
    assert {"mlflow-object-storage", "kubeflow-object-storage", "models-object-storage"} <= roles
    secrets = {
        s.inputs["metadata"]["name"] for s in plans["prod"].of_type("kubernetes:core/v1:Secret")
    }
    assert "object-storage-credentials" not in secrets


def test_on_s3_each_consumer_role_allows_only_its_grant(plans):
    """The model reader's IAM role reads the released models and appends request logs; only
    writers may put into and delete from their buckets."""
    policies = {
        r.name: json.loads(r.inputs["policy"])
        for r in plans["prod"].of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name.endswith("-object-storage")
    }
    actions = {
        name.removesuffix("-object-storage"): {a for s in doc["Statement"] for a in s["Action"]}
        for name, doc in policies.items()
    }
    assert {"s3:PutObject", "s3:DeleteObject"} <= actions["mlflow"] & actions["kubeflow"]
    # the model reader reads the models and only adds request-log objects: nothing else
    reader: dict[str, set[str]] = {}
    for statement in policies["models-object-storage"]["Statement"]:
        for resource in statement["Resource"]:
            reader.setdefault(resource.split(":::")[-1], set()).update(statement["Action"])
    models = {a for r, acts in reader.items() if "released-models" in r for a in acts}
    logs = {a for r, acts in reader.items() if "request-logs" in r for a in acts}
    assert "s3:GetObject" in models and not models & {"s3:PutObject", "s3:DeleteObject"}
    assert not any("mlflow-artifacts" in r for r in reader)  # not the registry's experiments
    assert logs == {"s3:PutObject"}
    assert "s3:DeleteObject" not in actions["models"]


def test_on_s3_the_collector_role_reads_and_lists_request_logs_and_nothing_else(plans):
    """The evidence collector's IAM role: list and get request-log objects (decrypting them);
    no put or delete anywhere, no other bucket."""
    (policy,) = [
        json.loads(r.inputs["policy"])
        for r in plans["prod"].of_type("aws:iam/rolePolicy:RolePolicy")
        if r.name == "collector-object-storage"
    ]
    granted = {
        (action, resource.split(":::")[-1] if ":s3:" in resource else "kms")
        for statement in policy["Statement"]
        for action in statement["Action"]
        for resource in statement["Resource"]
    }
    bucket = next(r for a, r in granted if a == "s3:ListBucket")
    assert "request-logs" in bucket
    assert granted == {
        ("s3:ListBucket", bucket), ("s3:GetBucketLocation", bucket),
        ("s3:GetObject", f"{bucket}/*"), ("s3:GetObjectVersion", f"{bucket}/*"),
        ("kms:Decrypt", "kms"),
    }  # fmt: skip
    (account,) = [
        a for a in plans["prod"].of_type("kubernetes:core/v1:ServiceAccount")
        if a.inputs["metadata"]["name"] == "evidence-collector"
    ]  # fmt: skip
    assert account.inputs["metadata"]["namespace"] == "evidence-collector"
    assert "collector-object-storage" in account.inputs["metadata"]["annotations"][
        "eks.amazonaws.com/role-arn"]  # fmt: skip


def test_the_collector_reads_the_request_log_the_predictors_write(plans):
    """Its ConfigMap names the bucket's real name and the prefix of the stack's runtime."""
    for stack, bucket in (("dev", "request-logs"), ("prod", "object-storage-request-logs-mock")):
        (settings,) = [
            c for c in plans[stack].of_type("kubernetes:core/v1:ConfigMap")
            if c.inputs["metadata"] == {"name": "evidence-collector",
                                        "namespace": "evidence-collector"}
        ]  # fmt: skip
        assert settings.inputs["data"] == {"request-log": f"s3://{bucket}/serving"}, stack


def test_only_a_stack_with_a_retraining_pipeline_lets_the_collector_create_kfp_runs(
    plans, stack_configs
):
    for stack, plan in plans.items():
        roles = [r for r in plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
                 if r.name == "evidence-collector-runs"]  # fmt: skip
        if stack_configs[stack].monitoring.collector.retraining is None:
            assert roles == [], stack
            continue
        (role,) = roles
        assert role.inputs["metadata"]["namespace"] == "kubeflow"
        assert role.inputs["rules"] == [
            {"apiGroups": ["pipelines.kubeflow.org"], "resources": ["runs"], "verbs": ["create"]}
        ]
        (binding,) = [b for b in plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding")
                      if b.name == "evidence-collector-runs"]  # fmt: skip
        assert binding.inputs["subjects"] == [
            {"kind": "ServiceAccount", "name": "evidence-collector",
             "namespace": "evidence-collector"}
        ]  # fmt: skip
