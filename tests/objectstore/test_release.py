"""The server the tests run is the release the cluster runs."""

import subprocess

from mlops.config.model import SEAWEEDFS_RELEASE, StorageConfig
from mlops.toolchain.catalogue import PROGRAMS


def test_the_built_server_is_the_release_of_the_clusters_image(weed, stack_configs):
    reported = subprocess.run([str(weed), "version"], capture_output=True, text=True, check=True)
    assert f" {SEAWEEDFS_RELEASE} " in reported.stdout + " "
    assert StorageConfig(mode="in_cluster").image.endswith(f":{SEAWEEDFS_RELEASE}")
    for config in stack_configs.values():
        if config.storage.mode == "in_cluster":
            assert config.storage.image.endswith(f":{SEAWEEDFS_RELEASE}")
    assert PROGRAMS["weed"].reason
