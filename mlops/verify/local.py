"""Verify the embedded platform `mlops demo` runs, with testinfra on this host: the recorded
processes run their recorded command lines, listen on their ports and answer their health
checks; the stores and the scratch clone are where the state file says; the evidence chain is
intact; the rendered GitOps tree of the clone is current; the predictor answers.

The platform is described by `<workdir>/state.json` (written by the demo as it starts each
process) and `<workdir>/env.sh` (its URLs and the platform token). `tests/live` runs the same
checks through pytest-testinfra's `host` fixture.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mlops.config import environment as settings
from mlops.verify.report import Report, Result, expect, failed, skipped

MODEL = "credit-risk"


@dataclass(frozen=True)
class LocalPlatform:
    """What the state file and env file say about a running embedded platform."""

    workdir: Path
    step: str
    services: list[dict[str, Any]]
    env: dict[str, str] = field(default_factory=dict)

    def service(self, name: str) -> dict[str, Any] | None:
        return next((s for s in self.services if s["name"] == name), None)


def load_platform(workdir: Path) -> LocalPlatform | str:
    """The platform in `workdir`, or the reason there is none to verify."""
    state = workdir / "state.json"
    try:
        data = json.loads(state.read_text(encoding="utf-8"))
    except OSError:
        return f"no embedded platform in {workdir}: {state} is missing (run `mlops demo --hold`)"
    except ValueError as error:
        return f"{state}: not JSON: {error}"
    env: dict[str, str] = {}
    env_file = workdir / "env.sh"
    if env_file.is_file():
        for line in env_file.read_text(encoding="utf-8").splitlines():
            if line.startswith("export ") and "=" in line:
                key, value = line.removeprefix("export ").split("=", 1)
                env[key] = shlex.split(value)[0] if value else ""
    return LocalPlatform(workdir, str(data.get("step", "")), list(data.get("services", [])), env)


Check = Callable[[Any, LocalPlatform], Iterator[Result]]


def processes(host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """Every recorded service process runs, with the command line the demo started."""
    if not platform.services:
        yield failed("processes", "services", f"no service running (demo step: {platform.step!r})")
    for service in platform.services:
        try:
            process = host.process.get(pid=service["pid"])
        except RuntimeError:
            yield failed("processes", service["name"], f"pid {service['pid']} is not running")
            continue
        expected = " ".join(service["argv"])
        yield expect("processes", service["name"], process.args == expected,
                     f"pid {service['pid']}: {process.args[:120]}")  # fmt: skip


def listening(host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """Each service listens on its port: on loopback only, or (said in the detail) on every
    interface, as the KServe model server binds."""
    for service in platform.services:
        if not service.get("port"):
            continue
        port = service["port"]
        bound = [address for address in (f"127.0.0.1:{port}", f"0.0.0.0:{port}", f":::{port}")
                 if host.socket(f"tcp://{address}").is_listening]  # fmt: skip
        exposure = "" if bound[:1] == [f"127.0.0.1:{port}"] else " (all interfaces)"
        yield expect("listening", service["name"], bool(bound),
                     f"tcp {', '.join(bound) or f'port {port}: not listening'}{exposure}")  # fmt: skip


def health(_host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """Each service's health endpoint answers 200."""
    for service in platform.services:
        if not service.get("health"):
            continue
        try:
            code = httpx.get(service["health"], timeout=5).status_code
        except httpx.HTTPError as error:
            yield failed("health", service["name"], f"{service['health']}: {error}")
            continue
        yield expect("health", service["name"], code == 200, f"{service['health']}: {code}")


def files(host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """The stores and the scratch clone exist; the secrets files are private (0600)."""
    root = platform.workdir
    for relative in ("mlflow/mlflow.db", "audit/audit.db", "repo/.git/HEAD"):
        path = root / relative
        yield expect("files", relative, host.file(str(path)).exists, str(path))
    stores = root / "stores"  # the registry's (MLflow's artifacts) and each environment's
    found = sorted(p.name for p in stores.iterdir() if p.is_dir()) if stores.is_dir() else []
    if not found:
        yield failed("files", "stores", f"{stores}: no object store")
    for store in found:
        data = stores / store / "data"
        yield expect("files", f"stores/{store}/data", host.file(str(data)).is_directory, str(data))
    for relative in ("audit/tokens.json", "env.sh"):
        file = host.file(str(root / relative))
        if not file.exists:
            yield failed("files", relative, f"{root / relative} is missing")
            continue
        yield expect("files", relative, file.mode == 0o600, f"mode {file.mode:o}")


def audit_chain(_host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """The Audit API recomputes its hash chain and finds it intact."""
    url, token = platform.env.get(settings.AUDIT.name), platform.env.get(settings.AUDIT_TOKEN.name)
    if not url or not token:
        yield failed(
            "audit-chain", "audit", f"{platform.workdir / 'env.sh'} lacks the audit URL or token"
        )
        return
    try:
        response = httpx.get(f"{url}/v1/verify", headers={"Authorization": f"Bearer {token}"},
                             timeout=30)  # fmt: skip
    except httpx.HTTPError as error:
        yield failed("audit-chain", "audit", f"{url}: {error}")
        return
    body = response.json() if response.status_code == 200 else {}
    yield expect("audit-chain", "audit", bool(body.get("ok")),
                 f"{response.status_code}: {body.get('entries')} entries, head {body.get('head_seq')}")  # fmt: skip


def registry(_host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """The MLflow registry answers and knows the demo's model."""
    url = platform.env.get("MLFLOW_TRACKING_URI")
    if not url:
        yield failed("registry", "mlflow", "env.sh lacks MLFLOW_TRACKING_URI")
        return
    try:
        response = httpx.get(f"{url}/api/2.0/mlflow/registered-models/get",
                             params={"name": MODEL}, timeout=10)  # fmt: skip
    except httpx.HTTPError as error:
        yield failed("registry", "mlflow", f"{url}: {error}")
        return
    yield expect("registry", "mlflow", response.status_code == 200,
                 f"registered model {MODEL}: HTTP {response.status_code}")  # fmt: skip


def gitops(_host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """The clone's rendered manifests match its release descriptors (what Argo CD would sync)."""
    from mlops.gitops.tree import drift, render_environment

    repo = platform.workdir / "repo"
    if not (repo / "gitops").is_dir():
        yield failed("gitops", "repo", f"{repo / 'gitops'} is missing")
        return
    for env in ("dev", "int", "prod"):
        found = drift(repo, render_environment(repo, env))
        yield expect("gitops", env, found.clean,
                     "rendered tree current" if found.clean else f"drift: {found}")  # fmt: skip


def predictor(_host: Any, platform: LocalPlatform) -> Iterator[Result]:
    """A running predictor answers a prediction and exports its request counter."""
    running = [s for s in platform.services if s["name"].startswith("predictor-")]
    if not running:
        yield skipped("predictor", "predictor", "no predictor running at this step")
        return
    from mlops.demo.applications import applications

    for service in running:
        url = f"{service['url']}/v1/models/{MODEL}:predict"
        try:
            answer = httpx.post(url, json={"instances": applications(2)}, timeout=30)
            metrics = httpx.get(f"{service['url']}/metrics", timeout=10).text
        except httpx.HTTPError as error:
            yield failed("predictor", service["name"], f"{url}: {error}")
            continue
        ok = answer.status_code == 200 and len(answer.json().get("predictions", [])) == 2
        yield expect("predictor", service["name"], ok, f"{url}: HTTP {answer.status_code}")
        yield expect("predictor", f"{service['name']} metrics",
                     "mlops_predictor_requests_total" in metrics, f"{service['url']}/metrics")  # fmt: skip


CHECKS: dict[str, Check] = {
    "processes": processes,
    "listening": listening,
    "health": health,
    "files": files,
    "audit-chain": audit_chain,
    "registry": registry,
    "gitops": gitops,
    "predictor": predictor,
}


def verify_local(workdir: Path, host: Any = None) -> Report:
    """Run every local check against the platform in `workdir` (testinfra's local backend)."""
    report = Report(target="local")
    found = load_platform(workdir.resolve())
    if isinstance(found, str):
        report.extend([failed("platform", str(workdir), found)])
        return report
    if host is None:
        import testinfra

        host = testinfra.get_host("local://")
    for check in CHECKS.values():
        try:
            report.extend(check(host, found))
        except Exception as error:  # a check that breaks is a failed check, with the reason
            report.extend([failed(check.__name__, "error", f"{type(error).__name__}: {error}")])
    if report.ok and not any(r.status == "passed" for r in report.results):
        report.extend([failed("platform", str(workdir), "nothing was verified")])
    return report
