"""The cluster checks' verdicts on API objects shaped as the kubernetes client returns them
(no cluster here), and `mlops verify --target cluster` without a cluster."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace as NS

import pytest
from typer.testing import CliRunner

from mlops.cli.app import app
from mlops.config.namespaces import NAMESPACES
from mlops.verify import cluster as checks


def node(name, ready="True", pool="system", gpus=None, taints=()):
    capacity = {"cpu": "4"} | ({"nvidia.com/gpu": str(gpus)} if gpus is not None else {})
    return NS(
        metadata=NS(name=name, labels={"mlops.platform/pool": pool}),
        status=NS(
            conditions=[NS(type="Ready", status=ready)],
            capacity=capacity,
            allocatable=dict(capacity),
        ),
        spec=NS(taints=[NS(key=k, effect=e) for k, e in taints]),
    )


def namespace(name, **labels):
    return NS(metadata=NS(name=name, labels=labels))


def pod(name, phase="Running", ready=(True,)):
    return NS(metadata=NS(name=name),
              status=NS(phase=phase, container_statuses=[NS(ready=r) for r in ready]))  # fmt: skip


class FakeCore:
    def __init__(self, nodes=(), namespaces=(), pods=None, services=None, endpoints=None):
        self.nodes, self.ns = list(nodes), list(namespaces)
        self.pods, self.services, self.eps = pods or {}, services or {}, endpoints or {}

    def list_node(self):
        return NS(items=self.nodes)

    def list_namespace(self):
        return NS(items=self.ns)

    def list_namespaced_pod(self, ns):
        return NS(items=self.pods.get(ns, []))

    def list_namespaced_service(self, ns):
        return NS(items=self.services.get(ns, []))

    def read_namespaced_endpoints(self, name, ns):
        return NS(subsets=[NS(addresses=[object()] * self.eps.get((ns, name), 0))])


class FakeCustom:
    def __init__(self, apps):
        self.apps = apps

    def list_namespaced_custom_object(self, group, version, ns, plural):
        assert (group, version, ns, plural) == ("argoproj.io", "v1alpha1", "argocd", "applications")
        return {"items": self.apps}


def statuses(results):
    return {r.name: r.status for r in results}


def test_nodes_ready_names_the_node_that_is_not():
    core = FakeCore(nodes=[node("a"), node("b", ready="False")])
    found = statuses(checks.nodes_ready(checks.Cluster(core, None, "ctx")))
    assert found == {"a": "passed", "b": "failed"}


def test_gpu_nodes_need_allocatable_gpus_and_the_taint():
    core = FakeCore(nodes=[
        node("cpu"),
        node("good", pool="training-gpu", gpus=1, taints=[("nvidia.com/gpu", "NoSchedule")]),
        node("untainted", pool="inference-gpu", gpus=1),
        node("no-plugin", pool="training-gpu"),
    ])  # fmt: skip
    found = statuses(checks.gpu_nodes(checks.Cluster(core, None, "ctx")))
    assert found == {
        "good allocatable": "passed", "good taint": "passed",
        "untainted allocatable": "passed", "untainted taint": "failed",
        "no-plugin allocatable": "failed", "no-plugin taint": "failed",
    }  # fmt: skip


def test_gpu_check_skips_with_a_reason_when_the_pools_are_empty():
    results = list(checks.gpu_nodes(checks.Cluster(FakeCore(nodes=[node("cpu")]), None, "c")))
    assert [r.status for r in results] == ["skipped"]
    assert "no GPU node" in results[0].detail


def test_platform_pods_missing_namespace_fails_and_stacks_without_an_in_cluster_store_skip_it():
    present = [
        namespace(NAMESPACES[k].name)
        for k in checks.PLATFORM_KEYS
        if k not in ("storage", "governance")
    ]
    pods = {ns.metadata.name: [pod("ok")] for ns in present}
    pods["mlflow"] = [
        pod("ok"),
        pod("crash", ready=(False,)),
        pod("job", phase="Succeeded", ready=()),
    ]
    found = statuses(
        checks.platform_pods(checks.Cluster(FakeCore(namespaces=present, pods=pods), None, "c"))
    )
    assert found["object-storage"] == "skipped"
    assert found["governance"] == "failed"
    assert found["mlflow/crash"] == "failed"
    assert found["mlflow/ok"] == found["mlflow/job"] == "passed"


def test_endpoints_need_a_ready_address():
    def svc(name):
        return NS(metadata=NS(name=name), spec=NS(selector={"app": name}))

    headless = NS(metadata=NS(name="external"), spec=NS(selector=None))
    core = FakeCore(namespaces=[namespace("mlflow")],
                    services={"mlflow": [svc("mlflow"), svc("down"), headless]},
                    endpoints={("mlflow", "mlflow"): 1})  # fmt: skip
    found = statuses(checks.endpoints(checks.Cluster(core, None, "c")))
    assert found == {"mlflow/mlflow": "passed", "mlflow/down": "failed"}


def test_argocd_applications_must_be_synced_and_healthy():
    def app_(name, sync, health):
        return {"metadata": {"name": name},
                "status": {"sync": {"status": sync}, "health": {"status": health}}}  # fmt: skip

    custom = FakeCustom([app_("models-dev", "Synced", "Healthy"), app_("platform", "OutOfSync", "Healthy"),
                         app_("serving", "Synced", "Degraded")])  # fmt: skip
    found = statuses(checks.argocd_apps(checks.Cluster(None, custom, "c")))
    assert found == {"models-dev": "passed", "platform": "failed", "serving": "failed"}


def test_pod_security_labels_present_and_audit_at_least_as_strict():
    psa = "pod-security.kubernetes.io/"
    good = namespace(
        "mlflow",
        **{psa + "enforce": "baseline", psa + "audit": "restricted", psa + "warn": "restricted"},
    )
    weak = namespace(
        "governance",
        **{psa + "enforce": "restricted", psa + "audit": "baseline", psa + "warn": "restricted"},
    )
    bare = namespace("kserve")
    found = statuses(
        checks.pod_security(checks.Cluster(FakeCore(namespaces=[good, weak, bare]), None, "c"))
    )
    assert found == {"mlflow": "passed", "governance": "failed", "kserve": "failed"}


def test_cli_cluster_without_kubeconfig_skips_with_the_reason_and_exit_0(monkeypatch):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    result = CliRunner().invoke(app, ["verify", "--target", "cluster", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["ok"] is True and report["results"] == []
    assert (
        "no cluster given" in report["skipped_reason"]
        and "--kubeconfig" in report["skipped_reason"]
    )
    text = CliRunner().invoke(app, ["verify", "--target", "cluster"])
    assert text.exit_code == 0 and "skipped" in text.output and "--kubeconfig" in text.output


def test_cli_cluster_with_a_missing_kubeconfig_is_bad_input(tmp_path: Path):
    from mlops.cli.app import main

    with pytest.raises(SystemExit) as done:
        import sys

        sys.argv = [
            "mlops",
            "verify",
            "--target",
            "cluster",
            "--kubeconfig",
            str(tmp_path / "nope"),
        ]
        main()
    assert done.value.code == 2


def test_cli_cluster_with_an_unreachable_api_fails_each_check(tmp_path: Path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text(json.dumps({
        "apiVersion": "v1", "kind": "Config", "current-context": "dead",
        "clusters": [{"name": "dead", "cluster": {"server": "https://127.0.0.1:9"}}],
        "contexts": [{"name": "dead", "context": {"cluster": "dead", "user": "u"}}],
        "users": [{"name": "u", "user": {"token": "t"}}],
    }))  # fmt: skip
    result = CliRunner().invoke(
        app, ["verify", "--target", "cluster", "--kubeconfig", str(kubeconfig), "--json"]
    )
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["failed"] >= len(checks.CHECKS) - 1 and report["passed"] == 0


@pytest.mark.skipif(
    shutil.which("wget") is None, reason="needs wget (the probe pod uses busybox's)"
)
def test_probe_line_tells_an_open_port_from_a_refused_one(tmp_path: Path):
    from mlops.demo.processes import free_port

    port, closed = free_port(), free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        script = "\n".join(checks._probe_line(f"127.0.0.1:{p}/missing") for p in (port, closed))
        done = subprocess.run(
            ["sh", "-c", script], capture_output=True, text=True, timeout=30, check=False
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert done.stdout.split("\n")[:2] == [
        f"OPEN 127.0.0.1:{port}/missing",
        f"BLOCKED 127.0.0.1:{closed}/missing",
    ]
