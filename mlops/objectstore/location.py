"""`s3://BUCKET/PREFIX` locations, parsed and listed one way for whoever reads or writes the
platform's stores: the predictors' request log (mlops.serving.sinks) and the model transfer
(mlops.promotion.transfer). Stdlib only: the predictor image imports it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from mlops.errors import BadInputError


@dataclass(frozen=True)
class Location:
    """A bucket and a prefix without slashes at either end ("" for the whole bucket)."""

    bucket: str
    prefix: str

    @classmethod
    def parse(
        cls, uri: str, what: str, allowed: str = "s3://BUCKET or s3://BUCKET/PREFIX"
    ) -> Location:
        """`uri` as a location; bad input (naming `what` and `allowed`) for another scheme, a
        query or fragment, or a prefix with empty, `.` or `..` parts."""
        parts = urlsplit(uri)
        if parts.scheme != "s3" or not parts.netloc or parts.query or parts.fragment:
            raise BadInputError(f"{what}: {uri!r}; allowed: {allowed}")
        prefix = parts.path.strip("/")
        if prefix and any(part in ("", ".", "..") for part in prefix.split("/")):
            raise BadInputError(f"{what}: {uri!r}: a prefix may not hold empty, . or .. parts")
        return cls(parts.netloc, prefix)

    def key(self, *parts: str) -> str:
        return "/".join(p for p in (self.prefix, *parts) if p)

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def object_keys(self, client: Any) -> Iterator[str]:
        """Every object's key under the location as a directory, in the store's (key) order;
        folder markers hold no bytes and are left out."""
        prefix = f"{self.prefix}/" if self.prefix else ""
        for page in client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=prefix
        ):
            for item in page.get("Contents", []):
                if not str(item["Key"]).endswith("/"):
                    yield str(item["Key"])
