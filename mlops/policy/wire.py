"""The offline plan in the Analyzer's wire format, as the Pulumi engine would send it.

Two things the engine knows that the plan does not record directly are rebuilt here:
- secrets: the plan redacts every secret to a placeholder; it travels as a secret value, marked
  with Pulumi's secret signature, as the engine marks secrets for analyzers;
- dependencies: the capturing mocks give every resource the id `<name>-id`, so an input equal to
  another resource's id is a reference to it (`bucket=bucket.id`). Stack policies follow these
  links, as they follow `propertyDependencies` in a real preview.
"""

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from mlops.plan.capture import SECRET_PLACEHOLDER, PlannedResource

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def mock_id(resource: PlannedResource) -> str:
    """The id PlatformMocks.new_resource gives a resource."""
    return f"{resource.name}-id"


def encode(value: Any) -> Any:
    if value == SECRET_PLACEHOLDER:
        return {SIG_KEY: SECRET_SIG, "value": value}
    if isinstance(value, dict):
        return {key: encode(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [encode(item) for item in value]
    return value


def properties(inputs: dict[str, Any]) -> struct_pb2.Struct:
    struct = struct_pb2.Struct()
    struct.update(encode(inputs))
    return struct


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def property_dependencies(resources: list[PlannedResource]) -> dict[str, dict[str, list[str]]]:
    """urn -> input name -> urns of the resources that input refers to."""
    by_id: dict[str, list[str]] = defaultdict(list)
    for resource in resources:
        by_id[mock_id(resource)].append(resource.urn)
    links: dict[str, dict[str, list[str]]] = {}
    for resource in resources:
        found: dict[str, list[str]] = {}
        for key, value in resource.inputs.items():
            urns = sorted(
                {
                    urn
                    for text in _strings(value)
                    for urn in by_id.get(text, [])
                    if urn != resource.urn
                }
            )
            if urns:
                found[key] = urns
        links[resource.urn] = found
    return links


def analyze_requests(resources: list[PlannedResource]) -> list[analyzer_pb2.AnalyzeRequest]:
    return [
        analyzer_pb2.AnalyzeRequest(
            type=resource.type,
            properties=properties(resource.inputs),
            urn=resource.urn,
            name=resource.name,
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent_urn),
        )
        for resource in resources
        if resource.custom
    ]


def analyze_stack_request(resources: list[PlannedResource]) -> analyzer_pb2.AnalyzeStackRequest:
    links = property_dependencies(resources)
    request = analyzer_pb2.AnalyzeStackRequest()
    for resource in resources:
        if not resource.custom:
            continue
        item = request.resources.add(
            type=resource.type,
            properties=properties(resource.inputs),
            urn=resource.urn,
            name=resource.name,
            parent=resource.parent_urn,
            options=analyzer_pb2.AnalyzerResourceOptions(parent=resource.parent_urn),
        )
        dependencies: set[str] = set()
        for key, urns in links[resource.urn].items():
            item.propertyDependencies[key].urns.extend(urns)
            dependencies.update(urns)
        item.dependencies.extend(sorted(dependencies))
    return request
