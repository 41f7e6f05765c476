"""`mlops cluster up|status|kubeconfig|down`: a second `up` is harmless, `down` leaves no
process and no state behind, and without the control plane the commands say so."""

import json
from pathlib import Path

import pytest

from mlops.cluster import processes
from mlops.cluster.state import Layout, State

pytestmark = pytest.mark.cluster


def test_up_twice_status_kubeconfig_down(mlops, control_plane, tmp_path: Path) -> None:
    state_dir = tmp_path / "cluster"
    code, out, err = mlops("cluster", "up", "--stack", "int", "--state-dir", str(state_dir))
    assert code == 0, err
    assert "cluster started" in out
    started = State.load(Layout(state_dir))
    assert started is not None and len(started.processes) == 5
    assert all(processes.alive(p) for p in started.processes)

    code, out, _ = mlops("cluster", "up", "--stack", "int", "--state-dir", str(state_dir))
    assert code == 0 and "already running" in out
    assert State.load(Layout(state_dir)).processes == started.processes

    code, out, _ = mlops("cluster", "status", "--json", "--state-dir", str(state_dir))
    status = json.loads(out)
    assert code == 0 and status["healthy"] and status["api_ready"]
    assert set(status["processes"]) == {"etcd", "kube-apiserver", "kube-controller-manager",
                                        "kube-scheduler", "kwok"}  # fmt: skip
    assert {name.rsplit("-", 1)[0] for name in status["nodes"]} == {
        "system",
        "training-gpu",
        "inference-gpu",
    }

    code, out, _ = mlops("cluster", "kubeconfig", "--state-dir", str(state_dir))
    assert code == 0 and Path(out.strip()).is_file()

    code, out, _ = mlops("cluster", "down", "--state-dir", str(state_dir))
    assert code == 0
    assert not any(processes.alive(p) for p in started.processes)
    assert not state_dir.exists()

    code, out, _ = mlops("cluster", "status", "--state-dir", str(state_dir))
    assert code == 1 and "not running" in out
    code, _, err = mlops("cluster", "kubeconfig", "--state-dir", str(state_dir))
    assert code == 1 and "not running" in err


def test_nodes_copy_the_stack_pools(control_plane, stack_configs) -> None:
    from kubernetes import client

    nodes = client.CoreV1Api(control_plane.api).list_node().items
    pools = stack_configs["prod"].node_pools
    gpu_nodes = [n for n in nodes if n.metadata.labels["mlops.platform/pool"].endswith("-gpu")]
    assert len(nodes) == sum(
        max(getattr(pools, p).desired_size, 1) for p in type(pools).model_fields
    )
    for node in gpu_nodes:
        assert node.status.allocatable["nvidia.com/gpu"] == "1"
        assert any(t.key == "nvidia.com/gpu" and t.effect == "NoSchedule" for t in node.spec.taints)
    for node in nodes:
        assert any(c.type == "Ready" and c.status == "True" for c in node.status.conditions)
