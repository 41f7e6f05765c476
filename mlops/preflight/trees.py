"""Kustomize trees as the Pulumi program installs them: rendered, then passed through the
`transforms` the program gives the `kustomize.v2.Directory` (the same callables, captured from
the offline plan), as the engine would for each child the provider creates."""

import asyncio
from typing import Any

import pulumi

Manifest = dict[str, Any]


def type_token(manifest: Manifest) -> str:
    """The Pulumi type of a Kubernetes object (`kubernetes:apps/v1:Deployment`)."""
    group, _, version = str(manifest.get("apiVersion", "")).rpartition("/")
    return f"kubernetes:{group or 'core'}/{version}:{manifest.get('kind')}"


def transformed(objects: list[Manifest], transforms: list[Any], tree: str) -> list[Manifest]:
    """Each object after every transform (a transform returning None leaves it as it is)."""
    if not transforms:
        return objects
    return asyncio.run(_apply_all(objects, transforms, tree))


async def _apply_all(objects: list[Manifest], transforms: list[Any], tree: str) -> list[Manifest]:
    result = []
    for manifest in objects:
        props = manifest
        for transform in transforms:
            metadata = props.get("metadata") or {}
            args = pulumi.ResourceTransformArgs(
                custom=True,
                type_=type_token(props),
                name=f"{tree}:{metadata.get('namespace', '')}/{metadata.get('name', '')}",
                props=props,
                opts=pulumi.ResourceOptions(),
            )
            outcome = await transform(args)
            if outcome is not None:
                props = dict(outcome.props)
        result.append(props)
    return result
