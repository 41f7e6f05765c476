"""The offline plan in the Analyzer's wire format: secrets marked, dependencies rebuilt."""

from google.protobuf import json_format

from mlops.plan.capture import SECRET_PLACEHOLDER, PlannedResource
from mlops.policy.wire import (
    SECRET_SIG,
    SIG_KEY,
    analyze_requests,
    analyze_stack_request,
    property_dependencies,
)
from tests.policies import builders as b
from tests.policies.conftest import resource


def test_secrets_travel_as_secret_values() -> None:
    secret = resource("kubernetes:core/v1:Secret", "db", {"stringData": {"pw": SECRET_PLACEHOLDER}})
    [request] = analyze_requests([secret])
    value = json_format.MessageToDict(request.properties)["stringData"]["pw"]
    assert value == {SIG_KEY: SECRET_SIG, "value": SECRET_PLACEHOLDER}


def test_references_by_mock_id_become_property_dependencies() -> None:
    """The bucket and its settings share a logical name, so `<name>-id` is ambiguous: it links
    to each of them (never to the resource itself) and the rules pick the Bucket by type."""
    stack = b.bucket_stack("data")
    bucket = stack[0]
    links = property_dependencies(stack)
    assert links[bucket.urn] == {}
    for companion in stack[1:]:
        assert bucket.urn in links[companion.urn]["bucket"]
        assert companion.urn not in links[companion.urn]["bucket"]
    request = analyze_stack_request(stack)
    versioning = next(r for r in request.resources if "bucketVersioning" in r.type)
    assert bucket.urn in versioning.propertyDependencies["bucket"].urns
    assert bucket.urn in versioning.dependencies


def test_component_resources_are_not_analyzed() -> None:
    component = PlannedResource(
        type="mlops:platform:Platform",
        name="platform",
        parent=None,
        inputs={},
        custom=False,
        urn="urn:pulumi:test::mlops-platform::mlops:platform:Platform::platform",
    )
    assert analyze_requests([component, b.kms()])[0].name == "key"
    assert len(analyze_stack_request([component, b.kms()]).resources) == 1
