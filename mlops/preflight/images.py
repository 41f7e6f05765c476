"""Container image references as Docker resolves them, and the allowed-registry test."""

DEFAULT_REGISTRY = "docker.io"


def image_name(text: str) -> str:
    """`registry/repository` of an image reference: the first part is a registry only when it
    looks like a host (a dot, a port or `localhost`), otherwise the registry is Docker Hub."""
    name = text.partition("@")[0]
    slash, colon = name.rfind("/"), name.rfind(":")
    if colon > slash:
        name = name[:colon]
    first, sep, rest = name.partition("/")
    if sep and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = DEFAULT_REGISTRY, name
    if registry == DEFAULT_REGISTRY and "/" not in repository:
        repository = f"library/{repository}"  # Docker Hub's official images
    return f"{registry}/{repository}"


def allowed(text: str, registries: list[str]) -> bool:
    """True when the image comes from one of `registries` (a host, or a host and a repository
    prefix such as `quay.io/prometheus`)."""
    name = image_name(text)
    return any(
        name == entry.rstrip("/") or name.startswith(entry.rstrip("/") + "/")
        for entry in registries
    )
