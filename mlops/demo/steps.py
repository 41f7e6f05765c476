"""The lifecycle steps of the demo, each a call into the library the `mlops` commands use:
train (`mlops pipeline run`), promote by pull-request branch and merge (`mlops promote`,
`mlops promote --finalize`), serve (`mlops serve`), test in int (`mlops equivalence`, `mlops loadtest`),
and collect the auditor's evidence from the Audit API (report, quality record, certificate)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from mlops.config import environment as settings
from mlops.demo import applications, services, stores, workspace
from mlops.demo.processes import Service, Supervisor
from mlops.errors import CheckFailedError
from mlops.governance import keys
from mlops.objectstore.local import LocalStore
from mlops.promotion.git import git

MODEL = "credit-risk"
GATES = ("registry-to-serving-dev", "registry-to-serving-int", "serving-int-to-serving-prod")
INT_LOAD_S = 5.0
PROD_LOAD_S = 3.0
LOAD_CONCURRENCY = 4


@dataclass
class Platform:
    """What the running demo knows: its services, the trained version, what it produced."""

    workspace: workspace.Workspace
    supervisor: Supervisor
    tokens: services.Tokens | None = None
    mlflow: Service | None = None
    audit: Service | None = None
    predictor: Service | None = None
    release: Path | None = None  # the descriptor the running predictor serves
    base_branch: str = "main"
    clone_commit: str = ""
    waiver_commit: str = ""
    trust_commit: str = ""
    witness_commit: str = ""
    version: str = ""
    training: dict[str, Any] = field(default_factory=dict)
    promotions: list[dict[str, Any]] = field(default_factory=list)
    rollout_steps: list[dict[str, Any]] = field(default_factory=list)
    gate_reports: list[str] = field(default_factory=list)
    tests: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, str] = field(default_factory=dict)
    prometheus: Service | None = None
    monitoring: dict[str, Any] = field(default_factory=dict)  # the evidence collector's runs
    live_gates: list[str] = field(default_factory=list)  # live verdicts the certificate covers
    stores: dict[str, LocalStore] = field(default_factory=dict)  # each serving env's own store
    registry_store: LocalStore | None = None  # where MLflow keeps the artifacts it serves

    @property
    def tracking_uri(self) -> str:
        assert self.mlflow is not None and self.mlflow.url
        return self.mlflow.url

    @property
    def artifact_store(self) -> LocalStore:
        """The registry's store, where MLflow keeps the artifacts it serves."""
        assert self.registry_store is not None
        return self.registry_store

    @property
    def audit_url(self) -> str:
        assert self.audit is not None and self.audit.url
        return self.audit.url

    def audit_client(self) -> Any:
        from mlops.governance.client import audit_client_from_url

        assert self.tokens is not None
        return audit_client_from_url(self.audit_url, self.tokens.platform)

    def registry(self) -> Any:
        from mlops.gates.registry import registry_from

        return registry_from(self.tracking_uri)


def scratch_clone(platform: Platform) -> None:
    ws = platform.workspace
    platform.clone_commit = workspace.clone(ws)
    platform.base_branch = git(ws.repo, "symbolic-ref", "--short", "HEAD").strip()
    platform.waiver_commit = workspace.waive_soak_time(ws)


def start_services(platform: Platform) -> None:
    """MLflow, the Audit API, the registry's store and each serving environment's store start
    together; the demo waits for all of them."""
    ws, supervisor = platform.workspace, platform.supervisor
    platform.tokens = services.write_tokens(ws)
    starting = stores.start(supervisor, ws)
    platform.audit = services.start_audit(supervisor, ws)
    # MLflow needs the registry store's address, which changes if it starts again on other
    # ports (mlops.objectstore.local.ready): it starts once that store answers
    registry = stores.wait(supervisor, {stores.REGISTRY: starting.pop(stores.REGISTRY)})
    platform.registry_store = registry[stores.REGISTRY]
    store_env = stores.mlflow_env(platform.artifact_store)
    platform.mlflow = services.start_mlflow(supervisor, ws, store_env)
    platform.stores = stores.wait(supervisor, starting)
    supervisor.wait_ready(platform.audit)
    supervisor.wait_ready(platform.mlflow)
    profiles = stores.write_profiles(ws, platform.registry_store, platform.stores)
    services.write_env_file(ws, platform.mlflow, platform.audit, platform.tokens, profiles)
    with httpx.Client(base_url=platform.audit_url, timeout=60) as http:
        key = _ok(http.get("/v1/public-key")).json()
    body = keys.public_pem(keys.load_public_key(ws.certification_key))
    platform.trust_commit = workspace.trust_audit_log(ws, key["log_id"], key["pem"], body)
    # the library calls below read the same settings a user's shell would export
    os.environ["MLFLOW_TRACKING_URI"] = platform.tracking_uri
    os.environ[settings.AUDIT_TOKEN.name] = platform.tokens.platform
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


TRAINING_MODE = "prod"  # serving-int admits only prod-mode models (registry-to-serving-int)


def train(platform: Platform) -> None:
    """The training pipeline in prod mode (analytics-prod: the full data and the hyper-parameter
    search), evidence to the Audit API, the model and its handover registered in MLflow with
    alias `candidate`."""
    from pipelines.credit_risk.config import load_config
    from pipelines.credit_risk.local import run_local

    # prod mode as configured (full data, the whole search), on one thread: beside the demo's
    # services, OpenMP's threads spin-wait for each other (measured on 2 cores: 29.9 s with
    # both, 11.6 s with one)
    config = load_config()
    mode = config.modes[TRAINING_MODE].model_copy(update={"threads": 1})
    config = config.model_copy(update={"modes": {**config.modes, TRAINING_MODE: mode}})
    result = run_local(TRAINING_MODE, platform.workspace.pipeline, config=config,
                       tracking_uri=platform.tracking_uri, audit_url=platform.audit_url)  # fmt: skip
    if not result.candidate:
        raise CheckFailedError(f"analytics gates failed: {result.gate_failures}")
    platform.version = result.version
    platform.training = {
        "run": result.run, "version": result.version, "mlflow_run_id": result.mlflow_run_id,
        "model_uri": result.model_uri, "test.roc_auc": result.metrics.get("test.roc_auc"),
        "mode": TRAINING_MODE,
    }  # fmt: skip


def promote(platform: Platform, env: str) -> None:
    """Gate, copy the model into the environment's store (digest-verified, recorded), commit on
    `promote/<model>/<env>/v<version>`, merge it (the pull request), then finalize (move the
    alias `serving-<env>`, record the release)."""
    from mlops.gates.context import Context
    from mlops.promotion.finalize import finalize
    from mlops.promotion.promote import GateFailedError
    from mlops.promotion.promote import promote as run_promote

    ws = platform.workspace
    audit, registry = platform.audit_client(), platform.registry()
    try:
        try:
            outcome = run_promote(
                ws.repo, MODEL, platform.version, env,
                lambda tree: Context(root=tree, audit=audit, registry=registry),
                base=platform.base_branch, out_dir=ws.gate_reports, source="mlops demo",
                destination=stores.destination(platform.artifact_store, platform.stores[env]),
            )  # fmt: skip
        except GateFailedError as failure:
            from mlops.gates.report import write

            entry = failure.result.entry
            files = write(failure.result.report, entry.seq if entry else None, ws.gate_reports)
            failed = [c for c in failure.result.checks if not c.passed]
            reasons = "; ".join(
                f"{c.rule}: {c.name} = {c.actual!r}, required {c.op} {c.required!r}"
                f"{' (' + c.detail + ')' if c.detail else ''}"
                for c in failed
            )
            raise CheckFailedError(
                f"{failure}: {reasons}; report {', '.join(map(str, files))}"
            ) from None
        if outcome.noop:
            raise CheckFailedError(outcome.message)
        assert outcome.commit is not None and outcome.result is not None
        merged = workspace.merge(ws, outcome.branch, platform.base_branch)
        done = finalize(ws.repo, MODEL, platform.version, env,
                        Context(root=ws.repo, audit=audit, registry=registry))  # fmt: skip
    finally:
        audit.close()
    reports = [str(p) for p in outcome.report_files]
    platform.gate_reports.extend(p for p in reports if p.endswith(".md"))
    platform.promotions.append({
        "env": env, "branch": outcome.branch, "commit": outcome.commit, "merge": merged,
        "gate": outcome.result.gate.gate, "verdict_entry": outcome.result.entry.seq
        if outcome.result.entry else None, "report_digest": outcome.result.report.digest,
        "reports": reports, "alias": done.alias, "finalized_entry": done.entry.seq,
        "transfer": outcome.transferred.evidence() if outcome.transferred else None,
        "transfer_entry": outcome.transfer_entry,
    })  # fmt: skip


def advance(platform: Platform, env: str) -> None:
    """The next rollout step in `env` (int: the blue-green switch, after the idle colour was
    tested), committed on its branch and merged (the second pull request)."""
    from mlops.gates.context import Context
    from mlops.promotion.advance import advance as run_advance

    ws = platform.workspace
    audit, registry = platform.audit_client(), platform.registry()
    try:
        done = run_advance(
            ws.repo, MODEL, env, lambda tree: Context(root=tree, audit=audit, registry=registry),
            base=platform.base_branch, source="mlops demo",
        )  # fmt: skip
    finally:
        audit.close()
    assert done.result is not None
    if done.branch is None:
        failed = "; ".join(c.rule for c in done.result.checks if not c.passed)
        raise CheckFailedError(f"rollout step {done.step} in {env} refused ({failed})")
    merged = workspace.merge(ws, done.branch, platform.base_branch)
    platform.rollout_steps.append({
        "env": env, "step": done.step, "branch": done.branch, "commit": done.commit,
        "merge": merged, "gate": done.result.gate.gate,
        "verdict_entry": done.result.entry.seq if done.result.entry else None,
        "report_digest": done.result.report.digest,
    })  # fmt: skip


def serve(platform: Platform, env: str) -> Service:
    """Start the predictor of the release merged into `env` (from the clone's descriptor): it
    loads the copy in the environment's own store with the model reader's identity."""
    from mlops.gates.evaluate import descriptor_path
    from mlops.gitops.descriptor import load_release

    ws = platform.workspace
    release = descriptor_path(ws.repo, env, MODEL)
    storage_uri = load_release(release).storage_uri
    service = services.start_predictor(platform.supervisor, ws, env, release, storage_uri,
                                       stores.reader_env(platform.stores[env]))  # fmt: skip
    platform.predictor, platform.release = service, release
    platform.supervisor.wait_ready(service)
    return service


def predict_url(service: Service) -> str:
    return f"{service.url}/v1/models/{MODEL}:predict"


def load_test(platform: Platform, env: str, seconds: float) -> dict[str, Any]:
    """`mlops loadtest` against the predictor; the figures go to the Audit API as the
    environment's load-test evidence."""
    from mlops.governance.client import Subject
    from mlops.serving.loadtest import LoadSpec, evidence, run_load

    assert platform.predictor is not None
    body = json.dumps({"instances": applications.applications(1)}).encode()
    result = run_load(LoadSpec(url=predict_url(platform.predictor), duration=seconds,
                               concurrency=LOAD_CONCURRENCY, body=body))  # fmt: skip
    subject = Subject(model=MODEL, version=platform.version, environment=env)
    audit = platform.audit_client()
    try:
        for name, value, unit in evidence(result):
            audit.append(subject, name, value, unit=unit, source="mlops-loadtest")
    finally:
        audit.close()
    figures = result.to_dict()
    platform.tests[f"loadtest.{env}"] = {k: figures[k] for k in
                                         ("requests", "error_rate", "throughput_rps", "p95_ms")}  # fmt: skip
    return figures


def equivalence_test(platform: Platform, env: str) -> float:
    """The served model (the copy in the environment's store) against the registered one (in
    the registry's store); recorded as `equivalence.max_abs_diff`."""
    from mlops.gates import evidence_names as names
    from mlops.gitops.descriptor import load_release
    from mlops.governance.client import Subject
    from mlops.serving.artifact import load
    from mlops.serving.equivalence import compare

    assert platform.predictor is not None and platform.release is not None
    release = load_release(platform.release)
    reference = load(f"models:/{release.registry_model}/{release.registry_version}",
                     release.model_digest)  # fmt: skip
    found = compare(predict_url(platform.predictor), reference, applications.frame(200))
    audit = platform.audit_client()
    try:
        audit.append(Subject(model=MODEL, version=platform.version, environment=env),
                     names.EQUIVALENCE_MAX_ABS_DIFF, found.max_abs_diff, source="mlops equivalence",
                     artifacts={names.ARTIFACT_MODEL: found.model_digest})  # fmt: skip
    finally:
        audit.close()
    platform.tests[f"equivalence.{env}"] = {"rows": found.rows, "max_abs_diff": found.max_abs_diff}
    return found.max_abs_diff


def stop_predictor(platform: Platform) -> None:
    if platform.predictor is not None:
        platform.supervisor.stop(platform.predictor)
        platform.predictor, platform.release = None, None


def collect_evidence(platform: Platform) -> None:
    """What an auditor reads, fetched from the Audit API: the chain verification, the HTML
    report, the model's quality record, and a certificate over the three serving gates."""
    assert platform.tokens is not None
    ws, reports = platform.workspace, platform.workspace.reports
    query = {"model": MODEL, "version": platform.version}
    reader = {"Authorization": f"Bearer {platform.tokens.platform}"}
    certifier = {"Authorization": f"Bearer {platform.tokens.certifier}"}
    with httpx.Client(base_url=platform.audit_url, timeout=60) as http:
        verified = _ok(http.get("/v1/verify", headers=reader)).json()
        if not verified.get("ok"):
            raise CheckFailedError(f"audit log verification failed: {verified}")
        (reports / "audit-verify.json").write_text(json.dumps(verified, indent=2) + "\n")
        report = reports / "audit-report.html"
        report.write_text(_ok(http.get("/v1/report", params=query, headers=reader)).text)
        card = reports / "model-card.md"
        card.write_text(_ok(http.get("/v1/quality-record", headers=reader,
                                     params={**query, "format": "markdown"})).text)  # fmt: skip
        issued = _ok(http.post("/v1/certificates", headers=certifier,
                               json={**query, "scope": "mlops-demo",
                                     "gates": [*GATES, *platform.live_gates]})).json()  # fmt: skip
        certificate = reports / "certificate.json"
        certificate.write_text(json.dumps(issued, indent=2) + "\n")
        key = _ok(http.get("/v1/public-key")).json()
        (reports / "audit-public-key.pem").write_text(key["pem"] or "")
    body = keys.public_pem(keys.load_public_key(ws.certification_key))
    (reports / "certification-body-public-key.pem").write_text(body)
    platform.evidence = {
        "audit_report": str(report), "model_card": str(card), "certificate": str(certificate),
        "certificate_id": str(issued.get("id", "")), "audit_entries": str(verified.get("entries")),
        "audit_db": str(ws.audit_db),
    }  # fmt: skip


def witness(platform: Platform) -> None:
    """The scheduled witness's run (`mlops audit witness`): the log's newest checkpoint, after
    the demo's last entry, committed in the clone; from now on a truncated or rewritten log
    fails `mlops audit verify` there."""
    from mlops.governance.witness import witness_commit

    audit = platform.audit_client()
    try:
        _, platform.witness_commit = witness_commit(platform.workspace.repo, audit.checkpoint)
    finally:
        audit.close()


def _ok(response: httpx.Response) -> httpx.Response:
    if response.status_code >= 400:
        raise CheckFailedError(
            f"Audit API {response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:300]}"
        )
    return response
