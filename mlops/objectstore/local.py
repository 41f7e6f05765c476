"""The platform's S3 store as a local process on loopback: the `weed` binary the cluster runs,
with the cluster's command line, identity file and bucket commands, on free ports and a scratch
directory. The real-server tests and the object-store benchmark start it; the process is
recorded and stopped by pid (mlops.demo.processes)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from mlops.config.object_store import IN_CLUSTER_REGION, Grant
from mlops.demo.processes import Service, Supervisor, free_port
from mlops.errors import CheckFailedError
from mlops.objectstore.server import (
    Ports,
    identities,
    server_args,
    server_environment,
    versioning_commands,
)

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class LocalStore:
    """A running server: its S3 URL, each consumer's generated key, and where it keeps data."""

    url: str
    keys: dict[str, str]
    data_dir: Path
    weed: Path
    ports: Ports

    def client(self, consumer: str) -> Any:
        """A boto3 S3 client signed with `consumer`'s identity."""
        import boto3
        from boto3.session import Config

        return boto3.client(
            "s3",
            endpoint_url=self.url,
            aws_access_key_id=consumer,
            aws_secret_access_key=self.keys[consumer],
            region_name=IN_CLUSTER_REGION,
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}),
        )

    def shell(self, commands: str) -> str:
        """Run `weed shell` commands against the server; their output."""
        result = subprocess.run(
            [str(self.weed), "shell", f"-master={self.ports.master_address}"],
            input=commands,
            capture_output=True,
            text=True,
            timeout=180,  # a loaded 2-core machine
            check=False,
        )
        if result.returncode != 0 or "error" in result.stdout.lower():
            raise CheckFailedError(f"weed shell failed: {result.stdout}{result.stderr}")
        return result.stdout


def _version_when_created(store: LocalStore, buckets: Sequence[str], within_s: float = 120) -> None:
    """The server creates its buckets after S3 already answers; version them once they exist
    (until then `weed shell` says "no entry is found in filer store")."""
    deadline = time.monotonic() + within_s
    while True:
        try:
            store.shell(versioning_commands(buckets))
            return
        except CheckFailedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)


@dataclass(frozen=True)
class Starting:
    """A server started but not yet answering: `ready` waits for it."""

    service: Service
    store: LocalStore
    buckets: tuple[str, ...]
    name: str
    workdir: Path
    log_offset: int  # where this start's output begins in the (appended) log


# How the server says a port it was given is taken: at its own check before it starts, or
# when it binds (another process took the port in between).
PORT_TAKEN = ("is not available on", "address already in use")
STARTS = 3  # a free port can be taken before the server binds it: start again on fresh ones
DATA_DIR = "data"
IDENTITIES_FILE = "identities.json"


def start_store(
    supervisor: Supervisor,
    name: str,
    weed: Path,
    workdir: Path,
    buckets: Sequence[str],
    grants: Mapping[str, Grant],
) -> Starting:
    """Start the server in `workdir` under `supervisor` (which stops it by pid) without waiting,
    so that several stores start side by side (the demo's, one per environment)."""
    keys = {consumer: secrets.token_urlsafe(30) for consumer in grants}
    (workdir / DATA_DIR).mkdir(parents=True, exist_ok=True)
    config = workdir / IDENTITIES_FILE
    config.write_text(json.dumps(identities(grants, keys)), encoding="utf-8")
    config.chmod(0o600)
    return _launch(supervisor, name, weed, workdir, keys, tuple(buckets))


def _launch(
    supervisor: Supervisor,
    name: str,
    weed: Path,
    workdir: Path,
    keys: dict[str, str],
    buckets: tuple[str, ...],
) -> Starting:
    """The server of `workdir` (its data and identity file, whose `keys` it answers to) on
    fresh free ports."""
    ports = Ports(**{field.name: free_port() for field in fields(Ports)})
    data_dir = workdir / DATA_DIR
    args = server_args(
        buckets,
        data_dir=str(data_dir),
        identities_file=str(workdir / IDENTITIES_FILE),
        ip=LOOPBACK,
        bind_ip=LOOPBACK,
        ports=ports,
    )
    url = f"http://{LOOPBACK}:{ports.s3}"
    log = workdir / "weed.log"
    offset = log.stat().st_size if log.exists() else 0
    service = supervisor.start(
        name,
        [str(weed), *args],
        log,
        port=ports.s3,
        url=url,
        cwd=workdir,
        health=f"{url}/status",
        env=server_environment(os.environ),
    )
    store = LocalStore(url=url, keys=keys, data_dir=data_dir, weed=weed, ports=ports)
    return Starting(service, store, buckets, name, workdir, offset)


def ready(supervisor: Supervisor, starting: Starting) -> LocalStore:
    """Wait until S3 answers (starting again on fresh ports when another process took one of
    its ports first), then version the buckets as the cluster's post-start hook does."""
    for start in range(STARTS):
        try:
            supervisor.wait_ready(starting.service)
            break
        except CheckFailedError:
            if start == STARTS - 1 or not _lost_a_port(starting):
                raise
            store = starting.store
            starting = _launch(
                supervisor,
                starting.name,
                store.weed,
                starting.workdir,
                store.keys,
                starting.buckets,
            )
    _version_when_created(starting.store, starting.buckets)
    return starting.store


def _lost_a_port(starting: Starting) -> bool:
    with Path(starting.service.log).open("rb") as log:
        log.seek(starting.log_offset)
        output = log.read().decode(errors="replace")
    return any(message in output for message in PORT_TAKEN)


@contextmanager
def local_store(
    weed: Path, workdir: Path, buckets: Sequence[str], grants: Mapping[str, Grant]
) -> Iterator[LocalStore]:
    """A server in `workdir`, answering and versioned, stopped on exit."""
    supervisor = Supervisor(workdir / "processes.json")
    try:
        yield ready(
            supervisor, start_store(supervisor, "seaweedfs", weed, workdir, buckets, grants)
        )
    finally:
        supervisor.stop_all()
