"""The rules' `validate` functions called directly with hand-built `ResourceValidationArgs` and
`StackValidationArgs`, in the pack's own interpreter (pulumi-policy is not importable from the
main environment), the way Pulumi's policy unit-testing guide does it."""

import json
import subprocess

from tests.policies.conftest import POLICIES_DIR, require_venv

SCRIPT = r"""
import json, sys
sys.path[:0] = [sys.argv[1], sys.argv[2]]
from pulumi_policy import PolicyResource, PolicyResourceOptions, ResourceValidationArgs, StackValidationArgs
from baseline_rules import POLICIES as BASELINE, aws_eks_nodegroup_require_gpu_taint as gpu
from baseline_rules import aws_s3_bucket_require_versioning as versioning
from production_rules import POLICIES as PRODUCTION, kubernetes_deployment_require_replicas as replicas

def resource_args(type_, props, config=None):
    opts = PolicyResourceOptions(False, [], None, [], None, [], None)
    return ResourceValidationArgs(type_, props, f"urn:x::{type_}::r", "r", opts, None, config)

out = {}
def collect(name):
    found = out.setdefault(name, [])
    return lambda message, urn=None: found.append(message)

untainted = {"instanceTypes": ["g5.xlarge"], "taints": []}
tainted = {"instanceTypes": ["g5.xlarge"], "taints": [{"key": "nvidia.com/gpu", "effect": "NO_SCHEDULE"}]}
gpu.validate(resource_args("aws:eks/nodeGroup:NodeGroup", untainted), collect("gpu-untainted"))
gpu.validate(resource_args("aws:eks/nodeGroup:NodeGroup", tainted), collect("gpu-tainted"))
one = {"metadata": {"namespace": "models"}, "spec": {"replicas": 1}}
replicas.validate(resource_args("kubernetes:apps/v1:Deployment", one, {"minReplicas": 2}), collect("one-of-two"))
replicas.validate(resource_args("kubernetes:apps/v1:Deployment", one, {"minReplicas": 1}), collect("one-of-one"))
opts = PolicyResourceOptions(False, [], None, [], None, [], None)
bucket = PolicyResource("aws:s3/bucket:Bucket", {}, "urn:b", "b", opts, None, None, [], {})
suspended = PolicyResource("aws:s3/bucketVersioning:BucketVersioning",
    {"bucket": "b-id", "versioningConfiguration": {"status": "Suspended"}}, "urn:v", "b", opts, None, None,
    [bucket], {"bucket": [bucket]})
versioning.validate(StackValidationArgs([bucket, suspended]), collect("versioning-suspended"))
# every rule ignores a resource type it is not about
for policy in BASELINE + PRODUCTION:
    if hasattr(policy, "validate") and policy.__class__.__name__ == "ResourceValidationPolicy":
        policy.validate(resource_args("random:index/randomString:RandomString", {"length": 8}), collect("unrelated"))
print(json.dumps(out))
"""


def test_validate_functions_take_hand_built_args() -> None:
    baseline, production = require_venv("baseline"), require_venv("production")
    completed = subprocess.run(
        [str(production.python), "-c", SCRIPT, str(baseline.directory), str(production.directory)],
        capture_output=True,
        text=True,
        check=True,
        cwd=POLICIES_DIR,
    )
    found = json.loads(completed.stdout)
    assert len(found["gpu-untainted"]) == 1
    assert "no 'nvidia.com/gpu' taint" in found["gpu-untainted"][0]
    assert found["gpu-tainted"] == []
    assert found["one-of-two"] == ["spec.replicas is 1 in namespace 'models'; at least 2 required"]
    assert found["one-of-one"] == []
    assert found["versioning-suspended"] == ["bucket 'b' does not enable versioning"]
    assert found.get("unrelated", []) == []
