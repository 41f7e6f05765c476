"""Container image references: registry, repository, tag and digest, as Docker resolves them."""

from dataclasses import dataclass

DEFAULT_REGISTRY = "docker.io"


@dataclass(frozen=True)
class ImageRef:
    text: str
    registry: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def pinned(self) -> bool:
        """A digest, or a tag other than `latest`: the same reference always means one image."""
        return self.digest is not None or (self.tag is not None and self.tag != "latest")

    @property
    def name(self) -> str:
        return f"{self.registry}/{self.repository}"


def parse_image(text: str) -> ImageRef:
    """Split `registry/repository:tag@digest`; the first component is a registry only when it
    looks like a host (a dot, a port or `localhost`), otherwise the registry is Docker Hub."""
    rest, _, digest = text.partition("@")
    slash = rest.rfind("/")
    colon = rest.rfind(":")
    tag = rest[colon + 1 :] if colon > slash else None
    name = rest[:colon] if colon > slash else rest
    first, sep, remainder = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, remainder
    else:
        registry, repository = DEFAULT_REGISTRY, name
    return ImageRef(text, registry, repository, tag or None, digest or None)


def registry_allowed(image: ImageRef, allowed: list[str]) -> bool:
    """True when the image comes from one of `allowed` (a registry host, optionally with a
    repository prefix: `123456789012.dkr.ecr.eu-central-1.amazonaws.com` or `ghcr.io/org`)."""
    return any(
        image.name == entry.rstrip("/") or image.name.startswith(entry.rstrip("/") + "/")
        for entry in allowed
    )
