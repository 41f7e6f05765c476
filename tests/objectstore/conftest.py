"""A real SeaweedFS server for the object-store tests: the pinned `weed` binary, built from the Go
module proxy by mlops.toolchain (minutes once, then cached), run as the cluster runs it."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops.config.model import StorageConfig
from mlops.config.namespaces import NAMESPACES
from mlops.config.object_store import STORE_GRANTS, TRANSFER_GRANT, TRANSFER_IDENTITY, Grant
from mlops.objectstore.local import LocalStore, local_store

NO_GO = "Go is not installed: the SeaweedFS server is built from the Go module proxy with `go`"
BUCKETS = tuple(StorageConfig(mode="in_cluster").buckets)
# The platform's consumers, by namespace, as the object storage component receives them, and the
# promoter's model-transfer identity.
GRANTS: dict[str, Grant] = {
    **{NAMESPACES[key].name: grant for key, grant in STORE_GRANTS.items()},
    TRANSFER_IDENTITY: TRANSFER_GRANT,
}


@pytest.fixture(scope="session")
def weed() -> Path:
    if shutil.which("go") is None:
        pytest.skip(NO_GO)
    from mlops.toolchain import binary

    return binary("weed")


@pytest.fixture(scope="session")
def store(weed: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStore]:
    with local_store(weed, tmp_path_factory.mktemp("seaweedfs"), BUCKETS, GRANTS) as running:
        yield running
