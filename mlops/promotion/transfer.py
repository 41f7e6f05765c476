"""Model transfer on promotion: copy a registered model from the analytics registry's store into
the store of the serving environment it is promoted to, digest-verified.

Copying (rather than letting the serving environment read the registry through a
cross-environment grant) is the choice: the target store then holds exactly what it serves, its
model reader needs no right outside its own environment, and the release survives the
registry's retention and clean-ups. The copy runs with the transfer identity
(mlops.config.object_store.TRANSFER_GRANT): it reads the registry's bucket and writes the
target's released models, nothing else.

The platform's MLflow proxies artifacts (`--serve-artifacts`), so a registered model's URI is
`mlflow-artifacts:/<path>`, relative to the server's `--artifacts-destination` in the registry's
bucket: the transfer reads `<source root>/<path>` there directly with its source identity, not
through the tracking server.

Order of work, so that a refusal writes nothing to the target:
1. download the artifact from the source into a scratch directory;
2. refuse unless its digest is the registered one (the handover's `model_digest`);
3. upload it, and its handover beside it, under `<target>/<model>/<version>/sha256-<hex>/`;
4. read the copy back and refuse unless it has the same digest: the promotion commit pins
   exactly what the target's predictor will load (and refuses otherwise).
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from mlops.config.environment import (
    TRANSFER_SOURCE_PROFILE,
    TRANSFER_SOURCE_ROOT,
    TRANSFER_TARGET_PROFILE,
)
from mlops.errors import BadInputError, CheckFailedError
from mlops.gates.evidence_names import HANDOVER_DOCUMENTS
from mlops.objectstore.location import Location
from mlops.serving.digest import artifact_digest, file_sha256, normalize_digest

MODEL_DIR = "model"
HANDOVER_FILE = "handover.json"
HANDOVER_DIR = "handover"  # the copied handover documents (HANDOVER_DOCUMENTS), beside the model
ALLOWED_TARGET = (
    "s3://BUCKET or s3://BUCKET/PREFIX (the target environment's released-models location)"
)
PROXIED_SCHEME = "mlflow-artifacts"  # what an MLflow server that serves artifacts hands out
ALLOWED_SOURCE_ROOT = "s3://BUCKET or s3://BUCKET/PREFIX (the registry's --artifacts-destination)"


class TransferRefusedError(CheckFailedError):
    """The artifact is not the registered one (at the source or in the copy); not promoted."""


@dataclass(frozen=True)
class StoreAccess:
    """How the transfer reaches one S3-compatible store: its endpoint (None: AWS S3's regional
    one) and either an AWS profile (a role, keys, an `endpoint_url`), explicit keys, or neither
    (the default credential chain, e.g. CI's workload identity)."""

    endpoint_url: str | None = None
    profile: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    region: str | None = None

    def client(self, what: str) -> tuple[Any, str]:
        """A boto3 S3 client and the access key id it signs with (which identity copied)."""
        import boto3
        from boto3.session import Config

        settings = TRANSFER_SOURCE_PROFILE if what == "source" else TRANSFER_TARGET_PROFILE
        try:
            session = boto3.Session(
                profile_name=self.profile,
                aws_access_key_id=self.access_key,
                aws_secret_access_key=self.secret_key,
                region_name=self.region,
            )
            credentials = session.get_credentials()
        except Exception as error:
            if not _from_boto(error):
                raise
            raise BadInputError(f"{what} store: {error}") from None
        if credentials is None:
            raise BadInputError(
                f"{what} store: no credentials; allowed: an AWS profile ({settings.name}) or the "
                "default chain (AWS_ACCESS_KEY_ID, a workload identity)"
            )
        client = session.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region or session.region_name or "us-east-1",
            config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}),
        )
        return client, str(credentials.access_key)


@dataclass(frozen=True)
class Destination:
    """Where a promotion copies its model: the target environment's released-models location,
    and the transfer identity's access to the source registry's store and to the target's."""

    target: str
    source_access: StoreAccess
    target_access: StoreAccess
    source_root: str | None = None  # where the registry's `mlflow-artifacts:/` paths live

    def location(self) -> Location:
        return Location.parse(self.target, "--transfer-to", ALLOWED_TARGET)

    def check(self) -> None:
        """Bad input in the target or the source root, before anything is read or written."""
        self.location()
        if self.source_root is not None:
            self._root()

    def _root(self) -> Location:
        assert self.source_root is not None
        return Location.parse(self.source_root, TRANSFER_SOURCE_ROOT.name, ALLOWED_SOURCE_ROOT)

    def source_location(self, uri: str, what: str) -> Location | None:
        """The store location of a registered URI (`what` names its field): an s3:// one as
        is, a proxied `mlflow-artifacts:/<path>` one under the source root; None otherwise (a
        local registry's files, a web page)."""
        if uri.startswith("s3://"):
            return Location.parse(uri, what)
        if not uri.startswith(f"{PROXIED_SCHEME}:"):
            return None
        if self.source_root is None:
            raise BadInputError(
                f"{what}: {uri!r} is served by the registry's MLflow; the transfer reads it "
                f"from the registry's store: set {TRANSFER_SOURCE_ROOT.name} "
                f"({ALLOWED_SOURCE_ROOT})"
            )
        root = self._root()
        relative = urlsplit(uri).path.strip("/")
        if not relative or any(part in ("", ".", "..") for part in relative.split("/")):
            raise BadInputError(f"{what}: {uri!r}: not a path under the registry's store")
        return Location(root.bucket, root.key(relative))


@dataclass(frozen=True)
class CopiedDocument:
    """One handover document copied beside the model, read back with the same sha256."""

    source_uri: str
    target_uri: str
    sha256: str

    def evidence(self) -> dict[str, str]:
        return {"source_uri": self.source_uri, "target_uri": self.target_uri, "sha256": self.sha256}


@dataclass(frozen=True)
class Transferred:
    """What was copied, for the promotion commit (`storage_uri`) and the evidence log."""

    source_uri: str
    target_uri: str
    handover_uri: str
    digest: str  # the registered digest, which the source and the copy were both measured to have
    source_digest: str  # measured on the downloaded source
    copy_digest: str  # measured on the copy read back from the target
    files: int
    bytes: int
    source_identity: str
    target_identity: str
    documents: dict[str, CopiedDocument]  # handover field -> its copy

    def evidence(self) -> dict[str, Any]:
        return {
            "source_uri": self.source_uri,
            "target_uri": self.target_uri,
            "handover_uri": self.handover_uri,
            "digest": self.digest,
            "measured_digest": {"source": self.source_digest, "copy": self.copy_digest},
            "files": self.files,
            "bytes": self.bytes,
            "identity": {"source": self.source_identity, "target": self.target_identity},
            "documents": {field: doc.evidence() for field, doc in self.documents.items()},
        }


def copy_segment(digest: str) -> str:
    """The path segment that names a copy by its digest: a released copy's URI is immutable
    (another artifact of the same version lands elsewhere), as CKV_MLOPS_2 asks of a release."""
    return "sha256-" + digest.removeprefix("sha256:")


def transfer(
    source_uri: str,
    digest: str,
    destination: Destination,
    model: str,
    version: str,
    handover: Mapping[str, Any],
) -> Transferred:
    """Copy, verify, copy back and verify (see the module docstring); TransferRefusedError when a
    digest differs, BadInputError for a location it cannot use."""
    expected = normalize_digest(digest, "model_digest")
    location = destination.location()
    target = Location(location.bucket, location.key(model, version, copy_segment(expected)))
    with tempfile.TemporaryDirectory(prefix="mlops-transfer-") as scratch:
        source = _Source(destination)
        staged = Path(scratch) / "source"
        source.directory(source_uri, staged)
        actual = artifact_digest(staged)
        if actual != expected:
            raise TransferRefusedError(
                f"{source_uri}: digest {actual} differs from the registered {expected}; "
                "refusing to copy it (nothing written to the target)"
            )
        # every read before the first write: a refusal leaves the target as it was
        documents: dict[str, tuple[str, Path]] = {}
        for field in HANDOVER_DOCUMENTS:
            uri, path = str(handover.get(field, "")), Path(scratch) / "documents" / field / "source"
            if source.file(uri, field, path):
                documents[field] = (uri, path)
        client, target_identity = destination.target_access.client("target")
        files = sorted(path for path in staged.rglob("*") if path.is_file())
        model_key = target.key(MODEL_DIR)
        with _s3_errors(f"{target.uri}: writing the copy"):
            for path in files:
                key = f"{model_key}/{path.relative_to(staged).as_posix()}"
                client.upload_file(str(path), target.bucket, key)
            record = {**handover, "source_uri": source_uri, "model_digest": expected}
            client.put_object(
                Bucket=target.bucket,
                Key=target.key(HANDOVER_FILE),
                Body=(json.dumps(record, indent=2, sort_keys=True) + "\n").encode(),
                ContentType="application/json",
            )
        copy = Location(target.bucket, model_key)
        readback = Path(scratch) / "target"
        with _s3_errors(f"{copy.uri}: reading the copy back"):
            _download_prefix(client, copy, readback)
        copied = artifact_digest(readback)
        if copied != expected:
            raise TransferRefusedError(
                f"{copy.uri}: the copy's digest {copied} differs from the registered {expected}; "
                "the promotion does not name it"
            )
        return Transferred(
            source_uri=source_uri,
            target_uri=copy.uri,
            handover_uri=f"s3://{target.bucket}/{target.key(HANDOVER_FILE)}",
            digest=expected,
            source_digest=actual,
            copy_digest=copied,
            files=len(files),
            bytes=sum(path.stat().st_size for path in files),
            source_identity=source.identity,
            target_identity=target_identity,
            documents={
                field: _copy_document(uri, field, path, client, target)
                for field, (uri, path) in documents.items()
            },
        )


class _Source:
    """The registry's store as the transfer reads it: one client for every read (on AWS, one
    role session), or a local registry's files."""

    def __init__(self, destination: Destination) -> None:
        self._destination = destination
        self._client: Any = None
        self.identity = "local files"  # the access key id, once the store is read

    def _store(self) -> Any:
        if self._client is None:
            self._client, self.identity = self._destination.source_access.client("source")
        return self._client

    def directory(self, uri: str, into: Path) -> None:
        """The artifact at `uri` into `into`."""
        location = self._destination.source_location(uri, "storage_uri")
        if location is not None:
            with _s3_errors(f"{location.uri}: reading the registered model {uri}"):
                _download_prefix(self._store(), location, into)
            return
        path = _local_path(uri, "storage_uri")
        if not path.is_dir():
            raise BadInputError(f"{uri}: no model directory there")
        shutil.copytree(path, into, symlinks=True)

    def file(self, uri: str, field: str, into: Path) -> bool:
        """The handover document at `uri` into `into`; False for one outside the registry (a
        web page), which stays where it is."""
        location = self._destination.source_location(uri, field)
        if location is None and not uri.startswith("file://"):
            return False
        into.parent.mkdir(parents=True)
        if location is not None:
            with _s3_errors(f"{location.uri}: reading the handover's {field}"):
                self._store().download_file(location.bucket, location.prefix, str(into))
            return True
        path = _local_path(uri, field)
        if not path.is_file():
            raise BadInputError(f"{field}: {uri}: no such file")
        shutil.copyfile(path, into)
        return True


def _local_path(uri: str, what: str) -> Path:
    """A local registry's file:// URI or path; bad input for any other scheme."""
    scheme = urlsplit(uri).scheme
    if scheme not in ("", "file"):
        raise BadInputError(
            f"{what}: {uri!r}; allowed: s3://, {PROXIED_SCHEME}:/ or file:// (the registry's store)"
        )
    return Path(uri.removeprefix("file://"))


def _copy_document(
    uri: str, field: str, staged: Path, client: Any, target: Location
) -> CopiedDocument:
    """A staged handover document copied under the release's `handover/` and read back."""
    copy = Location(target.bucket, target.key(HANDOVER_DIR, PurePosixPath(urlsplit(uri).path).name))
    readback = staged.with_name("copy")
    with _s3_errors(f"{copy.uri}: writing the handover's {field}"):
        client.upload_file(str(staged), copy.bucket, copy.prefix)
        client.download_file(copy.bucket, copy.prefix, str(readback))
    digest = file_sha256(staged)
    if file_sha256(readback) != digest:
        raise TransferRefusedError(f"{copy.uri}: the copy of the handover's {field} differs")
    return CopiedDocument(uri, copy.uri, digest)


def _download_prefix(client: Any, location: Location, into: Path) -> None:
    """Every object under `location` (as a directory) into `into`, by its relative key."""
    found = False
    for key in location.object_keys(client):
        relative = PurePosixPath(key[len(location.prefix) :].lstrip("/"))
        if not relative.parts or any(part in ("", ".", "..") for part in relative.parts):
            raise TransferRefusedError(f"{location.uri}: object key {key!r} leaves the artifact")
        path = into.joinpath(*relative.parts)
        path.parent.mkdir(parents=True, exist_ok=True)
        client.download_file(location.bucket, key, str(path))
        found = True
    if not found:
        raise TransferRefusedError(f"{location.uri}: no objects there")


@contextmanager
def _s3_errors(doing: str) -> Iterator[None]:
    """A store's refusal (access denied, no such bucket, unreachable) as one message, exit 1."""
    try:
        yield
    except Exception as error:
        if not _from_boto(error):
            raise
        raise CheckFailedError(f"{doing}: {error}") from None


def _from_boto(error: Exception) -> bool:
    """boto3's and botocore's many kinds of error, told apart without importing botocore (a
    dependency of boto3, not of the platform)."""
    return type(error).__module__.startswith(("botocore.", "boto3."))
