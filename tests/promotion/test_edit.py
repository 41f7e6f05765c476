"""The round-trip edit: changed keys change, every other byte stays."""

from __future__ import annotations

import difflib

import pytest

from mlops.errors import BadInputError
from mlops.promotion.edit import edit
from mlops.promotion.release import INCUMBENT_FIELDS
from tests.conftest import REPO

PROD = REPO / "gitops/envs/prod/models/credit-risk.yaml"


def changed_lines(before: str, after: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]


def test_only_the_edited_lines_change():
    before = PROD.read_text()
    after = edit(before, "prod", {"registry_version": 7, "canary_traffic_percent": 50}, [])
    assert changed_lines(before, after) == [
        "-registry_version: 2",
        "+registry_version: 7",
        "-canary_traffic_percent: 100",
        "+canary_traffic_percent: 50",
    ]
    assert after.startswith(before.split("model:")[0])  # the header comments, byte for byte
    assert "min_replicas: 2\n" in after and "# Rollout: v2 reached 100 %" in after


def test_inline_comments_and_quotes_survive():
    dev = (REPO / "gitops/envs/dev/models/credit-risk.yaml").read_text()
    after = edit(dev, "dev", {"registry_version": 9, "code_commit": "1" * 40}, [])
    assert "min_replicas: 1  # RawDeployment in dev: no scale to zero\n" in after
    assert 'cpu_limit: "1"\n' in after
    assert f"code_commit: '{'1' * 40}'\n" in after  # a digit-only commit stays a string


def test_switching_strategy_inserts_keys_in_field_order_and_drops_only_their_lines():
    dev = (REPO / "gitops/envs/dev/models/credit-risk.yaml").read_text()
    gone = ["shadow_mirror_percent", *INCUMBENT_FIELDS]
    after = edit(dev, "dev", {"strategy": "direct"}, gone)
    removed = [line for line in changed_lines(dev, after) if line.startswith("-")]
    assert len(removed) == len(gone) + 1 and not [line for line in removed if "#" in line]
    back = edit(after, "dev", {"strategy": "canary", "canary_traffic_percent": 5,
                                "incumbent_version": 4, "incumbent_storage_uri": "s3://b/m",
                                "incumbent_model_digest": "sha256:" + "a" * 64}, [])  # fmt: skip
    tail = back.split("strategy: canary\n")[1].splitlines()
    assert [line.split(":")[0] for line in tail] == [
        "canary_traffic_percent", "incumbent_version", "incumbent_storage_uri", "incumbent_model_digest",
    ]  # fmt: skip


def test_an_invalid_result_is_refused_naming_the_file():
    with pytest.raises(BadInputError, match=r"prod: .*canary_traffic_percent"):
        edit(PROD.read_text(), "prod", {}, ["canary_traffic_percent"])
