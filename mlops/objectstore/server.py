"""The SeaweedFS server as the platform runs it: its command line, identity file and bucket
commands. Plain functions, so the cluster's Deployment (components/seaweedfs.py) and the local
server of the tests and benchmarks (mlops.objectstore.local) run the same binary the same way.

One `weed mini` process (master, volume server, filer and S3 gateway; no WebDAV, admin UI, IAM
API or telemetry). Each consumer has its own identity, scoped to its bucket; there is no
anonymous or admin identity. The buckets are created at start (`-bucket`) and versioned by
`weed shell`; chunks are encrypted on the volume (`-filer.encryptVolumeData`).
"""

import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from mlops.config.object_store import Grant

# `weed` makes an admin identity of these when they are in its environment, and creates the
# buckets S3_BUCKET names: never passed to the server.
WIDENING_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "S3_BUCKET")
READ_ACTIONS = ("Read", "List")
WRITE_ACTIONS = ("Write",)  # put, copy and delete objects; never bucket administration


@dataclass(frozen=True)
class Ports:
    """The server's listening ports; the cluster uses the defaults, tests pick free ones."""

    s3: int = 8333
    master: int = 9333
    volume: int = 9340
    filer: int = 8888
    metrics: int = 9327
    master_grpc: int = 19333
    volume_grpc: int = 19340
    filer_grpc: int = 18888
    s3_grpc: int = 18333

    @property
    def master_address(self) -> str:
        """The master as `weed shell` addresses it (`host:port.grpcPort`)."""
        return f"127.0.0.1:{self.master}.{self.master_grpc}"


def identities(grants: Mapping[str, Grant], secret_keys: Mapping[str, str]) -> dict[str, object]:
    """The S3 gateway's identity file (`-s3.config`): each consumer's key, allowed only the
    actions its grant names, on its own bucket, writing into the buckets it appends to and
    reading the ones it reads."""
    return {
        "identities": [
            {
                "name": consumer,
                "credentials": [{"accessKey": consumer, "secretKey": secret_keys[consumer]}],
                "actions": [
                    f"{action}:{grant.bucket}"
                    for action in (*READ_ACTIONS, *(WRITE_ACTIONS if grant.write else ()))
                ]
                + [f"{action}:{bucket}" for bucket in grant.appends for action in WRITE_ACTIONS]
                + [f"{action}:{bucket}" for bucket in grant.reads for action in READ_ACTIONS],
            }
            for consumer, grant in sorted(grants.items())
        ]
    }


def server_args(
    buckets: Sequence[str],
    *,
    data_dir: str,
    identities_file: str,
    ip: str,
    bind_ip: str,
    ports: Ports,
) -> list[str]:
    """`weed` arguments of the store: everything but S3 (and metrics) switched off."""
    return [
        "mini",
        f"-dir={data_dir}",
        f"-ip={ip}",
        f"-ip.bind={bind_ip}",
        f"-master.port={ports.master}",
        f"-master.port.grpc={ports.master_grpc}",
        f"-volume.port={ports.volume}",
        f"-volume.port.grpc={ports.volume_grpc}",
        f"-filer.port={ports.filer}",
        f"-filer.port.grpc={ports.filer_grpc}",
        f"-s3.port={ports.s3}",
        f"-s3.port.grpc={ports.s3_grpc}",
        f"-metricsPort={ports.metrics}",
        f"-s3.config={identities_file}",
        f"-bucket={','.join(buckets)}",
        "-filer.encryptVolumeData",
        "-s3.iam=false",
        "-s3.autoCreateBucket=false",
        "-s3.port.iceberg=0",
        "-s3.port.lance=0",
        "-webdav=false",
        "-admin.ui=false",
        "-admin.port.legacy=0",
        "-master.telemetry=false",
    ]


def server_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """`environment` without the variables that would give the server another identity."""
    return {key: value for key, value in environment.items() if key not in WIDENING_VARIABLES}


def versioning_commands(buckets: Sequence[str]) -> str:
    """`weed shell` input that turns versioning on for every bucket (idempotent)."""
    return "".join(f"s3.bucket.versioning -name {bucket} -status Enabled\n" for bucket in buckets)


def post_start_script(buckets: Sequence[str], ports: Ports) -> str:
    """Wait for the S3 gateway, then version the buckets the server created at start."""
    commands = shlex.quote(versioning_commands(buckets))
    return (
        f"until wget -q -O /dev/null http://127.0.0.1:{ports.s3}/status; do sleep 1; done\n"
        f"printf '%s' {commands} | weed shell -master={ports.master_address}\n"
    )
