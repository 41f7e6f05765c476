"""Request logging: masking, sampling, sinks, and losses counted rather than blocking."""

import io
import json
import re
import sqlite3

import httpx
import pytest

from mlops.errors import BadInputError
from mlops.serving.masking import REDACTED, Masker
from mlops.serving.metrics import LOG_DROPPED
from mlops.serving.requestlog import RequestLogger, sampled
from mlops.serving.sinks import (
    CLOUDEVENT_BATCH,
    CloudEventSink,
    JsonlSink,
    SqliteSink,
    read_records,
    sink_from_url,
)


def _log(logger, request_id="r1", **kwargs):
    return logger.log(request_id, protocol="v1", inputs=[{"name": "Ann", "income": 1.0}],
                      outputs=[1], latency_ms=1.5, **kwargs)  # fmt: skip


def test_masking_replaces_named_fields_at_any_depth():
    value = {"rows": [{"ssn": "123", "income": 5, "nested": {"ssn": "9"}}], "ssn": 1}
    assert Masker(["ssn"])(value) == {
        "rows": [{"ssn": REDACTED, "income": 5, "nested": {"ssn": REDACTED}}],
        "ssn": REDACTED,
    }
    hashed = Masker(["ssn"], "hash")([{"ssn": "123"}, {"ssn": "123"}, {"ssn": "124"}])
    assert hashed[0] == hashed[1] != hashed[2]
    assert hashed[0]["ssn"].startswith("sha256:") and "123" not in hashed[0]["ssn"]
    assert Masker()(value) is value


def test_logged_record_has_every_field_and_masked_input(tmp_path):
    logger = RequestLogger(JsonlSink(tmp_path / "l.jsonl"), model="m", version="2",
                           digest="sha256:" + "1" * 64, environment="prod",
                           masker=Masker(["name"]))  # fmt: skip
    assert _log(logger, explanation=[{"name": 0.3, "income": 0.1}])
    logger.close()
    (record,) = read_records(str(tmp_path / "l.jsonl"))
    assert record["input"] == [{"name": REDACTED, "income": 1.0}]
    assert record["explanation"] == [{"name": REDACTED, "income": 0.1}]
    for key, value in {"id": "r1", "type": "inference", "model": "m", "version": "2",
                       "digest": "sha256:" + "1" * 64, "environment": "prod", "protocol": "v1",
                       "status": "ok", "latency_ms": 1.5, "output": [1]}.items():  # fmt: skip
        assert record[key] == value
    assert record["time"].endswith("Z")


def test_sampling_is_deterministic_per_request_and_close_to_the_rate():
    ids = [f"req-{i}" for i in range(4000)]
    kept = [i for i in ids if sampled(i, 0.25)]
    assert 0.22 < len(kept) / len(ids) < 0.28
    assert kept == [i for i in ids if sampled(i, 0.25)]
    assert all(sampled(i, 1.0) for i in ids[:10]) and not any(sampled(i, 0.0) for i in ids[:10])


def test_sqlite_sink_round_trips_and_filters_by_type(tmp_path):
    logger = RequestLogger(SqliteSink(tmp_path / "l.db"), model="m", version="1", digest="d")
    _log(logger, "a")
    _log(logger, "b", record_type="shadow")
    logger.close()
    assert [r["id"] for r in read_records(f"sqlite:///{tmp_path / 'l.db'}")] == ["a"]
    assert len(read_records(f"sqlite:///{tmp_path / 'l.db'}", None)) == 2
    row = (
        sqlite3.connect(tmp_path / "l.db")
        .execute("SELECT model, version FROM request_log")
        .fetchone()
    )
    assert row == ("m", "1")


def test_cloudevents_sink_posts_a_batch_of_structured_events():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(202)

    sink = CloudEventSink("http://collector/", transport=httpx.MockTransport(handler))
    logger = RequestLogger(sink, model="credit", version="3", digest="d")
    _log(logger, "x1")
    _log(logger, "x2")
    logger.close()
    events = [e for request in seen for e in json.loads(request.content)]
    assert all(r.headers["content-type"] == CLOUDEVENT_BATCH for r in seen)
    assert [e["subject"] for e in events] == ["x1", "x2"]
    assert events[0]["specversion"] == "1.0" and events[0]["source"].endswith(
        "/models/credit/versions/3"
    )
    assert events[0]["data"]["output"] == [1]


def test_cloudevents_structured_mode_posts_one_event_each():
    seen = []
    sink = sink_from_url("http://broker.example/ns/default?ce-mode=structured")
    assert sink.url == "http://broker.example/ns/default" and not sink.batch
    sink._http = httpx.Client(
        transport=httpx.MockTransport(lambda r: seen.append(r) or httpx.Response(202))
    )
    logger = RequestLogger(sink, model="credit", version="3", digest="d")
    _log(logger, "a")
    _log(logger, "b")
    logger.close()
    assert [r.headers["content-type"] for r in seen] == ["application/cloudevents+json"] * 2
    assert [json.loads(r.content)["subject"] for r in seen] == ["a", "b"]


def test_a_failing_sink_loses_records_without_raising():
    class Broken:
        def write(self, records):
            raise OSError("disk full")

        def close(self):
            pass

    before = LOG_DROPPED.labels("broken", "sink_error")._value.get()
    logger = RequestLogger(Broken(), model="broken", version="1", digest="d")
    _log(logger)
    logger.close()
    assert LOG_DROPPED.labels("broken", "sink_error")._value.get() == before + 1


def test_a_record_json_cannot_hold_is_lost_alone(tmp_path):
    before = LOG_DROPPED.labels("nan", "not_json")._value.get()
    logger = RequestLogger(JsonlSink(tmp_path / "r.jsonl"), model="nan", version="1", digest="d")
    logger.log("bad", protocol="v1", inputs=[{"x": 1}], outputs=[float("nan")], latency_ms=1.0)
    logger.log("good", protocol="v1", inputs=[{"x": 2}], outputs=[0.5], latency_ms=1.0)
    logger.close()
    assert [r["id"] for r in read_records(str(tmp_path / "r.jsonl"))] == ["good"]
    assert LOG_DROPPED.labels("nan", "not_json")._value.get() == before + 1


def test_sink_urls(tmp_path):
    assert sink_from_url(None) is None and sink_from_url("none") is None
    assert isinstance(sink_from_url(str(tmp_path / "x.jsonl")), JsonlSink)
    assert isinstance(sink_from_url(f"sqlite:///{tmp_path / 'x.db'}"), SqliteSink)
    assert isinstance(sink_from_url("https://collector"), CloudEventSink)
    with pytest.raises(BadInputError, match="allowed: s3://BUCKET/PREFIX, sqlite:///PATH"):
        sink_from_url("kafka://broker")
    with pytest.raises(BadInputError, match="sample rate"):
        RequestLogger(JsonlSink(tmp_path / "y.jsonl"), model="m", version="1", digest="d",
                      sample_rate=1.5)  # fmt: skip


class Bucket:
    """An in-memory S3 bucket with the three calls the sink and its reader make."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_object(self, *, Bucket: str, Key: str, Body: bytes, ContentType: str) -> None:
        assert (Bucket, Key) not in self.objects  # never overwritten
        self.objects[Bucket, Key] = Body

    def get_object(self, *, Bucket: str, Key: str) -> dict:
        return {"Body": io.BytesIO(self.objects[Bucket, Key])}

    def get_paginator(self, _name: str):
        objects = self.objects

        class Pages:
            def paginate(self, *, Bucket: str, Prefix: str):
                keys = [k for b, k in objects if b == Bucket and k.startswith(Prefix)]
                return [{"Contents": [{"Key": k} for k in keys]}]

        return Pages()


def test_s3_sink_writes_one_object_per_batch_under_model_and_day():
    from mlops.serving.sinks import S3Sink, read_s3_records

    store = Bucket()
    sink = S3Sink("s3://request-logs/serving/", client=store)
    logger = RequestLogger(sink, model="credit-risk", version="3", digest="sha256:d",
                           durability="sync", masker=Masker(["age"]))  # fmt: skip
    logger.log("a1", protocol="v1", inputs=[{"age": 30}], outputs=[0.2], latency_ms=1.0)
    logger.log("a2", protocol="v1", inputs=[{"age": 40}], outputs=[0.7], latency_ms=1.0)
    logger.close()
    keys = sorted(key for _, key in store.objects)
    assert len(keys) == 2
    assert all(re.fullmatch(r"serving/credit-risk/\d{4}-\d{2}-\d{2}/[0-9.]+-[0-9a-f]{12}\.jsonl", k)
               for k in keys)  # fmt: skip
    records = read_s3_records("s3://request-logs/serving", client=store)
    assert [(r["id"], r["input"], r["digest"]) for r in records] == [
        ("a1", [{"age": "***"}], "sha256:d"),
        ("a2", [{"age": "***"}], "sha256:d"),
    ]
    with pytest.raises(
        BadInputError, match="request log: 's3:///no-bucket'; allowed: s3://BUCKET/PREFIX"
    ):
        S3Sink("s3:///no-bucket", client=store)


def test_the_store_keys_come_from_mounted_files_where_the_environment_has_none(
    monkeypatch, tmp_path
):
    """The collector's pod mounts its key Secret as files; an empty one is bad input."""
    from mlops.serving.sinks import read_s3_records, s3_client

    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(key, raising=False)
        (tmp_path / key).write_text(f"{key.lower()}-value\n")
    monkeypatch.setenv("MLOPS_STORE_KEYS_DIR", str(tmp_path))
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    credentials = s3_client()._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == (
        "aws_access_key_id-value", "aws_secret_access_key-value")  # fmt: skip
    (tmp_path / "AWS_SECRET_ACCESS_KEY").write_text("")
    with pytest.raises(BadInputError, match=r"MLOPS_STORE_KEYS_DIR=.*an empty key file"):
        read_s3_records("s3://request-logs/serving")
