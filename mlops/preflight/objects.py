"""Rendered objects with where they come from: which install, and for Helm charts whether the
object is one of the chart's `crds/` (created before anything else of the release)."""

from dataclasses import dataclass, field
from typing import Any

import yaml

Manifest = dict[str, Any]
SOURCE_PREFIX = "# Source: "


class Loader(yaml.CSafeLoader):
    """YAML 1.1's `=` value tag (an unquoted `=`, as in some charts' ConfigMaps) is a string."""


Loader.add_constructor("tag:yaml.org,2002:value", yaml.SafeLoader.construct_yaml_str)


def load_all(text: str) -> list[Any]:
    return list(yaml.load_all(text, Loader=Loader))


@dataclass(frozen=True)
class Rendered:
    install: str  # release or tree name, or the Pulumi resource's name
    urn: str = field(compare=False)  # of the Release, Directory or Pulumi resource
    namespace: str  # where namespaced objects without a namespace land
    manifest: Manifest = field(compare=False)
    from_crds_dir: bool = False

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", ""))

    @property
    def api_version(self) -> str:
        return str(self.manifest.get("apiVersion", ""))

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @property
    def name(self) -> str:
        return str((self.manifest.get("metadata") or {}).get("name", "?"))

    @property
    def target_namespace(self) -> str:
        return str((self.manifest.get("metadata") or {}).get("namespace") or self.namespace)

    @property
    def subject(self) -> str:
        return f"{self.kind} {self.target_namespace}/{self.name}"


def split_sources(text: str) -> list[tuple[Manifest, str]]:
    """Each object of a `helm template` stream with the template file it came from."""
    result: list[tuple[Manifest, str]] = []
    for chunk, source in _chunks(text):
        document = yaml.load(chunk, Loader=Loader)  # noqa: S506 (a safe loader)
        if isinstance(document, dict):
            result.append((document, source))
    return result


def without_crds_dir(text: str) -> str:
    """A `helm template --include-crds` stream without the chart's crds/ folder."""
    return "\n---".join(chunk for chunk, source in _chunks(text) if not is_crds_dir(source))


def _chunks(text: str) -> list[tuple[str, str]]:
    """The documents of a stream with their template file. Helm writes `# Source:` once per
    file; a file's later documents (a CRD file often starts with a comment and `---`) keep it."""
    result: list[tuple[str, str]] = []
    source = ""
    for chunk in text.split("\n---"):
        lines = [line for line in chunk.splitlines() if line.startswith(SOURCE_PREFIX)]
        source = lines[0][len(SOURCE_PREFIX) :] if lines else source
        result.append((chunk, source))
    return result


def is_crds_dir(source: str) -> bool:
    """`<chart>/crds/...` (or a subchart's `charts/<sub>/crds/...`): installed before templates."""
    parts = source.split("/")
    return len(parts) > 1 and parts[-2] == "crds" and "templates" not in parts
