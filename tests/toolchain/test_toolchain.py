"""The toolchain: the catalogue matches the stacks, wheel binaries are the versions it names,
the cache is shared and locked, and what cannot be built exits 2 saying what to install."""

import json
import subprocess
import threading
from pathlib import Path

import pytest

from mlops import toolchain
from mlops.toolchain import cache
from mlops.toolchain.catalogue import PROGRAMS, GoProgram, WheelProgram


def test_every_pin_has_a_version_and_a_reason() -> None:
    for name, program in PROGRAMS.items():
        assert program.name == name
        assert program.version and len(program.reason) > 20, name


def test_control_plane_matches_the_stacks_kubernetes_minor(stack_configs) -> None:
    minors = {config.kubernetes_version for config in stack_configs.values()}
    assert len(minors) == 1, minors
    (minor,) = minors
    for name in ("kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"):
        assert PROGRAMS[name].version.removeprefix("v").startswith(minor + "."), name


def test_kubectl_and_helm_are_the_pinned_release_binaries() -> None:
    kubectl = toolchain.binary("kubectl")
    client = json.loads(subprocess.check_output([kubectl, "version", "--client", "-o", "json"]))
    assert client["clientVersion"]["gitVersion"] == "v" + PROGRAMS["kubectl"].version
    helm = subprocess.check_output([toolchain.binary("helm"), "version", "--short"], text=True)
    assert helm.startswith("v" + PROGRAMS["helm"].version + "+")


def test_the_cache_is_under_xdg_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    entry = cache.entry(PROGRAMS["etcd"])
    assert entry.parent == tmp_path / "mlops-platform" / "toolchain"
    assert entry.name.startswith("etcd-v3.6.")


def test_concurrent_requests_provide_a_program_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    provided: list[str] = []
    paths: list[Path] = []

    def request() -> None:
        paths.append(toolchain.binary("kubectl", on_provide=lambda p: provided.append(p.name)))

    threads = [threading.Thread(target=request) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert provided == ["kubectl"]
    assert len(set(paths)) == 1 and paths[0].is_file()
    assert toolchain.is_cached("kubectl")


def test_missing_go_exits_2_naming_what_to_install(
    mlops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))  # no go here
    code, out, err = mlops("toolchain", "install", "kwok")
    assert code == 2
    assert "needs `go` on PATH" in err and "install Go" in err
    assert "Traceback" not in out + err
    assert not any((tmp_path / "cache").glob("mlops-platform/toolchain/kwok-*/kwok"))


def test_skip_missing_says_why_and_succeeds(
    mlops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("PATH", str(tmp_path))
    code, out, _ = mlops("toolchain", "install", "--skip-missing", "kwok")
    assert code == 0
    assert "kwok: skipped:" in out and "install Go" in out


def test_a_failed_build_exits_2_and_leaves_no_entry(
    mlops, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    broken = GoProgram(name="kwok-broken", module="sigs.k8s.io/kwok",
                       package="sigs.k8s.io/kwok/cmd/no-such-command", version="v0.8.0",
                       reason="a main package that does not exist")  # fmt: skip
    monkeypatch.setitem(PROGRAMS, broken.name, broken)
    code, _, err = mlops("toolchain", "install", broken.name)
    assert code == 2
    assert "building kwok-broken v0.8.0 failed" in err
    assert not toolchain.is_cached(broken.name)
    assert not list((tmp_path / "cache").glob("mlops-platform/toolchain/kwok-broken-*/"))


def test_unknown_program_exits_2_listing_the_known(mlops) -> None:
    code, _, err = mlops("toolchain", "path", "kubelet")
    assert code == 2
    assert "unknown program 'kubelet'" in err and "kube-apiserver" in err


def test_wheel_programs_name_their_package_version() -> None:
    wheel = [p for p in PROGRAMS.values() if isinstance(p, WheelProgram)]
    assert {p.name for p in wheel} == {"kubectl", "helm"}
    for program in wheel:
        assert program.package_version in program.path[0]
