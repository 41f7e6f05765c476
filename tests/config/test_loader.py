"""Every bad stack configuration is refused before any resource is declared, with one message
naming the stack file, the key and what is allowed."""

from pathlib import Path

import pytest
import yaml

from mlops.config.loader import CONFIG_KEY, load_stack
from mlops.errors import BadInputError
from tests.conftest import STACK_NAMES, STACKS_DIR


def write_stack(folder: Path, mutate) -> Path:
    """Copy the dev stack into `folder`, change its platform object, and return the folder."""
    document = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())
    mutate(document["config"][CONFIG_KEY])
    (folder / "Pulumi.bad.yaml").write_text(yaml.safe_dump(document))
    return folder


def refused(folder: Path) -> str:
    with pytest.raises(BadInputError) as caught:
        load_stack(folder, "bad")
    return str(caught.value)


@pytest.mark.parametrize("stack", STACK_NAMES)
def test_repository_stacks_are_valid(stack):
    assert load_stack(STACKS_DIR, stack).environment == stack


def test_unknown_key_names_it_and_lists_the_allowed_ones(tmp_path):
    message = refused(write_stack(tmp_path, lambda c: c["storage"].update(mdoe="s3")))
    assert "Pulumi.bad.yaml" in message
    assert "unknown key 'mdoe' at 'storage.mdoe'" in message
    assert (
        "allowed: buckets, external, force_destroy, image, mode, transfer, volume_size_gb"
        in message
    )


def test_the_archived_minio_mode_is_refused_with_what_replaces_it(tmp_path):
    message = refused(
        write_stack(tmp_path, lambda c: c["storage"].update(mode="minio", minio_volume_size_gb=5))
    )
    assert "Pulumi.bad.yaml" in message
    assert "'storage.mode': 'minio' is no longer a storage mode" in message
    assert "'in_cluster'" in message and "'external'" in message
    assert "'minio_volume_size_gb' becomes 'volume_size_gb'" in message


def test_wrong_type(tmp_path):
    message = refused(
        write_stack(tmp_path, lambda c: c["node_pools"]["system"].update(max_size="many"))
    )
    assert "'node_pools.system.max_size'" in message
    assert "valid integer" in message


def test_pool_with_max_below_min(tmp_path):
    def shrink(config):
        config["node_pools"]["system"].update(min_size=3, max_size=2, desired_size=3)

    message = refused(write_stack(tmp_path, shrink))
    assert "'node_pools.system'" in message
    assert "max_size (2) is below min_size (3)" in message


def test_gpu_pool_without_gpu_taint(tmp_path):
    message = refused(
        write_stack(tmp_path, lambda c: c["node_pools"]["training_gpu"].update(taints=[]))
    )
    assert "'node_pools.training_gpu'" in message
    assert "needs the taint 'nvidia.com/gpu' with effect NoSchedule" in message


def test_unknown_environment(tmp_path):
    message = refused(write_stack(tmp_path, lambda c: c.update(environment="staging")))
    assert "'environment'" in message
    assert "'local', 'dev', 'int' or 'prod'" in message


def test_unknown_stack_lists_the_stacks_that_exist():
    with pytest.raises(BadInputError, match=r"unknown stack 'qa'; allowed: dev, int, local, prod"):
        load_stack(STACKS_DIR, "qa")


def test_public_endpoint_open_to_the_world_is_refused(tmp_path):
    message = refused(
        write_stack(tmp_path, lambda c: c["exposure"].update(public_access_cidrs=["0.0.0.0/0"]))
    )
    assert "must not contain 0.0.0.0/0" in message


def test_aws_only_storage_on_an_existing_cluster_is_refused(tmp_path):
    def existing_with_s3(config):
        config["cloud"] = {"mode": "existing", "kube_context": "kind-mlops"}
        config["storage"]["mode"] = "s3"

    assert "storage.mode 's3' needs cloud.mode 'aws'" in refused(
        write_stack(tmp_path, existing_with_s3)
    )


def test_unpinned_chart_version_is_refused(tmp_path):
    def float_chart(config):
        config["charts"] = {
            "kserve": {
                "repository": "oci://ghcr.io/kserve/charts",
                "chart": "kserve",
                "version": "latest",
            }
        }

    assert "'charts.kserve.version'" in refused(write_stack(tmp_path, float_chart))


def test_unknown_config_key_outside_the_platform_object(tmp_path):
    document = yaml.safe_load((STACKS_DIR / "Pulumi.dev.yaml").read_text())
    document["config"]["aws:region"] = "eu-west-1"
    (tmp_path / "Pulumi.bad.yaml").write_text(yaml.safe_dump(document))
    message = refused(tmp_path)
    assert "config: unknown key 'aws:region'" in message
    assert "mlops-platform:platform" in message


def test_hostile_yaml_is_refused(tmp_path):
    (tmp_path / "Pulumi.bad.yaml").write_text("config: &a\n  x: *a\n")
    assert "anchors" in refused(tmp_path)


def test_request_logs_need_their_bucket(tmp_path):
    buckets = ["mlflow-artifacts", "datasets", "pipeline-artifacts", "released-models"]
    message = refused(write_stack(tmp_path, lambda c: c["storage"].update(buckets=buckets)))
    assert "no 'request-logs' bucket for serving.request_log" in message
    assert "serving.request_log.enabled: false" in message

    def off(config):
        config["storage"]["buckets"] = buckets
        config["serving"]["request_log"]["enabled"] = False

    assert not load_stack(write_stack(tmp_path, off), "bad").serving.request_log.enabled


def test_the_model_reader_needs_the_released_models_bucket(tmp_path):
    buckets = ["mlflow-artifacts", "datasets", "pipeline-artifacts", "request-logs"]
    message = refused(write_stack(tmp_path, lambda c: c["storage"].update(buckets=buckets)))
    assert "storage.buckets: no 'released-models' bucket" in message


def test_the_model_transfer_roles_trust_a_known_machine_on_s3_only(tmp_path):
    def on_s3(transfer: dict[str, str]):
        return lambda c: c["storage"].update(mode="s3", transfer=transfer)

    assert load_stack(write_stack(tmp_path, on_s3({"machine": "ci"})), "bad").storage.transfer
    message = refused(write_stack(tmp_path, on_s3({"machine": "github"})))
    assert "storage.transfer.machine: unknown machine identity 'github'" in message
    assert "allowed: ci, workloads" in message
    arn = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.example"
    message = refused(
        write_stack(tmp_path, on_s3({"machine": "workloads", "oidc_provider_arn": arn}))
    )
    assert "issuer 'cluster', whose provider is the cluster's own" in message
    message = refused(
        write_stack(tmp_path, lambda c: c["storage"].update(transfer={"machine": "ci"}))
    )
    assert "'transfer' is set only with mode 's3' (mode is 'in_cluster')" in message


def test_request_log_settings_are_checked(tmp_path):
    message = refused(
        write_stack(tmp_path, lambda c: c["serving"]["request_log"].update(sample_rate=1.5))
    )
    assert "'serving.request_log.sample_rate'" in message
    message = refused(
        write_stack(tmp_path, lambda c: c["serving"]["request_log"].update(explain="shap"))
    )
    assert "'none', 'linear', 'reference' or 'auto'" in message


def test_a_restricting_stack_allows_the_pinned_charts_images(tmp_path):
    """The registries of the pinned charts' images come with the pins (a stack overriding a pin
    brings its own); a stack that restricts nothing stays unrestricted."""

    def restrict(config):
        config["security"]["allowed_registries"] = ["registry.example.com", "quay.io/jetstack"]
        config.setdefault("charts", {})["envoy_gateway"] = {
            "repository": "oci://registry.example.com/charts",
            "chart": "gateway-helm",
            "version": "v1.9.0",
            "reason": "mirrored",
            "images": ["registry.example.com/envoyproxy"],
        }

    restricted = load_stack(write_stack(tmp_path, restrict), "bad").allowed_registries
    assert restricted[:2] == ["registry.example.com", "quay.io/jetstack"]
    assert restricted.count("quay.io/jetstack") == 1  # cert-manager's pin names it too
    assert "registry.example.com/envoyproxy" in restricted
    assert "docker.io/envoyproxy" not in restricted
    assert "ghcr.io/kubeflow" in restricted
    assert load_stack(STACKS_DIR, "dev").allowed_registries == []
