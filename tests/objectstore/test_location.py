"""One parser of s3:// locations for the request log and the model transfer."""

import pytest

from mlops.errors import BadInputError
from mlops.objectstore.location import Location


@pytest.mark.parametrize(
    ("uri", "bucket", "prefix"),
    [("s3://logs", "logs", ""), ("s3://logs/", "logs", ""), ("s3://logs/a/b/", "logs", "a/b")],
)
def test_a_location_is_a_bucket_and_a_prefix_without_outer_slashes(uri, bucket, prefix):
    location = Location.parse(uri, "--where")
    assert (location.bucket, location.prefix) == (bucket, prefix)
    assert location.key("m", "1") == "/".join(p for p in (prefix, "m", "1") if p)
    assert Location.parse(location.uri, "--where") == location


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://logs/a", "--where: 'https://logs/a'; allowed: s3://B"),
        ("s3:///a", "--where: 's3:///a'; allowed: s3://B"),
        ("s3://logs/a?versionId=1", "allowed: s3://B"),
        ("s3://logs/a/../b", "a prefix may not hold empty, . or .. parts"),
        ("s3://logs/a//b", "a prefix may not hold empty, . or .. parts"),
    ],
)
def test_anything_else_is_bad_input_naming_what_is_allowed(uri, message):
    with pytest.raises(BadInputError, match=message.replace("?", r"\?")):
        Location.parse(uri, "--where", allowed="s3://B")


class Pages:
    """A paginator over fixed pages, as boto3's `list_objects_v2` paginator yields them."""

    def __init__(self, keys: list[str]) -> None:
        self.keys = keys
        self.asked: dict[str, str] = {}

    def get_paginator(self, operation: str) -> "Pages":
        assert operation == "list_objects_v2"
        return self

    def paginate(self, Bucket: str, Prefix: str) -> list[dict[str, list[dict[str, str]]]]:
        self.asked = {"Bucket": Bucket, "Prefix": Prefix}
        found = [k for k in self.keys if k.startswith(Prefix)]
        return [
            {"Contents": [{"Key": k} for k in found[:2]]},
            {"Contents": [{"Key": k} for k in found[2:]]},
            {},
        ]


def test_object_keys_lists_under_the_prefix_as_a_directory_without_folder_markers():
    store = Pages(["a/b/", "a/b/1", "a/b/2/x", "a/bc/3", "a/b/4"])
    assert list(Location("logs", "a/b").object_keys(store)) == ["a/b/1", "a/b/2/x", "a/b/4"]
    assert store.asked == {"Bucket": "logs", "Prefix": "a/b/"}
