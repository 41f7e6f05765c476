"""Policy configuration per stack: pack files, stack-driven settings, and what is refused."""

import json
from pathlib import Path

import pytest

from mlops.config.model import StackConfig
from mlops.errors import BadInputError
from mlops.policy.config import resolve, stack_settings
from mlops.policy.packs import Pack, packs_for
from tests.policies.conftest import POLICIES_DIR, RunningPack

BACKUPS = "aws-rds-instance-require-backups"
READONLY = "kubernetes-pod-require-readonly-root-filesystem"


def pack_with(tmp_path: Path, settings: object) -> Pack:
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "dev.json").write_text(json.dumps(settings))
    return Pack("baseline", tmp_path)


def test_defaults_file_and_stack_layers(
    baseline: RunningPack, stack_configs: dict[str, StackConfig], tmp_path: Path
) -> None:
    pack = pack_with(tmp_path, {BACKUPS: {"minRetentionDays": 14}, READONLY: "mandatory"})
    settings = resolve(pack, list(baseline.specs.values()), "dev", stack_configs["dev"])
    assert settings[BACKUPS].properties == {"minRetentionDays": 14}
    assert settings[BACKUPS].enforcement == "mandatory"
    assert settings[READONLY].enforcement == "mandatory"
    assert settings["kubernetes-service-disallow-loadbalancer"].properties == {
        "allowedNamespaces": ["envoy-gateway-system"]
    }
    assert settings["aws-eks-cluster-require-control-plane-logging"].properties == {
        "requiredLogTypes": ["api", "audit", "authenticator"]
    }


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"no-such-rule": "advisory"}, "unknown policy 'no-such-rule'; allowed: aws-"),
        ({BACKUPS: "strict"}, f"{BACKUPS}.enforcementLevel: 'strict'; allowed: advisory"),
        ({BACKUPS: {"minRetentionDays": 0}}, f"{BACKUPS}.minRetentionDays: 0 is less than"),
        ({BACKUPS: {"retention": 7}}, "Additional properties are not allowed"),
        ({BACKUPS: 7}, "must be an enforcement level or an object of settings"),
        ([BACKUPS], "must be an object of policy name to settings"),
    ],
)
def test_bad_pack_config_is_refused(
    baseline: RunningPack,
    stack_configs: dict[str, StackConfig],
    tmp_path: Path,
    settings: object,
    message: str,
) -> None:
    pack = pack_with(tmp_path, settings)
    with pytest.raises(BadInputError, match=r"dev\.json") as raised:
        resolve(pack, list(baseline.specs.values()), "dev", stack_configs["dev"])
    assert message in str(raised.value)


def test_registries_come_from_the_stack_and_its_pins(stack_configs: dict[str, StackConfig]) -> None:
    allowed = stack_configs["prod"].allowed_registries
    assert "123456789012.dkr.ecr.eu-central-1.amazonaws.com" in allowed
    assert "docker.io/envoyproxy" in allowed  # the edge's pin, not the stack file
    assert stack_settings(stack_configs["prod"])["kubernetes-pod-require-allowed-registry"] == {
        "allowedRegistries": allowed
    }
    assert stack_settings(stack_configs["dev"])["kubernetes-pod-require-allowed-registry"] == {
        "allowedRegistries": []
    }


def test_packs_apply_by_environment() -> None:
    assert [p.name for p in packs_for("local", POLICIES_DIR)] == ["baseline"]
    assert [p.name for p in packs_for("prod", POLICIES_DIR)] == ["baseline", "production"]
    with pytest.raises(BadInputError, match=r"no policy pack has config/staging\.json"):
        packs_for("staging", POLICIES_DIR)
