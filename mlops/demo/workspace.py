"""The demo's scratch work directory: one place for every file the embedded platform writes.

A second run in the same directory first stops what an earlier, killed run left running (from
its state file), then starts over with fresh stores: the demo shows the lifecycle from an empty
platform every time, and the earlier run's files never mix with the new ones.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import yaml

from mlops.demo.processes import stop_leftovers
from mlops.errors import BadInputError
from mlops.governance.trust import CONFIG
from mlops.promotion.git import git
from mlops.repository import REPO_ROOT
from mlops.yamlio import load_yaml

MARKER = ".mlops-demo"
STATE = "state.json"
# Everything the demo creates in its work directory (and so the only things it removes).
OWNED = (MARKER, STATE, "state.tmp", "env.sh", "repo", "mlflow", "audit", "pipeline", "serving",
         "reports", "logs", "summary.json", "prometheus", "stores", "aws-config")  # fmt: skip
PROD_GATE = "policies/gates/serving-int-to-serving-prod.yaml"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def state_file(self) -> Path:
        return self.root / STATE

    @property
    def repo(self) -> Path:
        return self.root / "repo"

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow" / "mlflow.db"

    @property
    def audit_db(self) -> Path:
        return self.root / "audit" / "audit.db"

    @property
    def certification_key(self) -> Path:
        """The certification body's own signing key (never the log's)."""
        return self.root / "audit" / "certification-body.pem"

    @property
    def tokens_file(self) -> Path:
        return self.root / "audit" / "tokens.json"

    @property
    def pipeline(self) -> Path:
        return self.root / "pipeline"

    @property
    def stores(self) -> Path:
        """The serving environments' object stores, one directory each."""
        return self.root / "stores"

    @property
    def serving(self) -> Path:
        return self.root / "serving"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def gate_reports(self) -> Path:
        return self.root / "reports" / "gates"

    @property
    def logs(self) -> Path:
        return self.root / "logs"


def prepare(root: Path) -> Workspace:
    """Make `root` an empty demo work directory. Refuses a non-empty directory that an earlier
    demo did not create, so a mistyped --workdir never deletes someone's files."""
    root = root.resolve()
    if root.exists() and not root.is_dir():
        raise BadInputError(f"--workdir: {root} is a file; allowed: a new or a demo directory")
    if root.is_dir() and any(root.iterdir()) and not (root / MARKER).is_file():
        raise BadInputError(
            f"--workdir: {root} is not empty and was not made by `mlops demo`; "
            "allowed: a new directory or one an earlier demo used"
        )
    stop_leftovers(root / STATE)
    for name in OWNED:
        path = root / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        elif path.exists() or path.is_symlink():
            path.unlink()
    root.mkdir(parents=True, exist_ok=True)
    (root / MARKER).write_text("made by `mlops demo`; it empties this directory on its next run\n")
    workspace = Workspace(root)
    for directory in (workspace.mlflow_db.parent, workspace.audit_db.parent, workspace.pipeline,
                      workspace.serving, workspace.gate_reports, workspace.logs):  # fmt: skip
        directory.mkdir(parents=True, exist_ok=True)
    return workspace


def clone(workspace: Workspace, source: Path = REPO_ROOT) -> str:
    """`git clone` this repository (its committed HEAD) into the work directory, with a local
    identity for the promotion commits; returns the cloned commit."""
    if not (source / ".git").exists():
        raise BadInputError(f"{source}: not a Git checkout; the demo promotes in a clone of one")
    git(workspace.root, "clone", "--quiet", "--no-hardlinks", str(source), str(workspace.repo))
    git(workspace.repo, "config", "user.name", "mlops demo")
    git(workspace.repo, "config", "user.email", "demo@mlops.invalid")
    git(workspace.repo, "config", "commit.gpgsign", "false")
    return git(workspace.repo, "rev-parse", "HEAD").strip()


def waive_soak_time(workspace: Workspace) -> str:
    """Commit, in the clone only, the prod gate with its soak time set to 0 hours: the demo
    cannot wait a day. The change is a reviewed-looking commit on main, cited by the gate
    report's gate-file digest, so nothing pretends the version soaked. Returns the commit."""
    path = workspace.repo / PROD_GATE
    gate = load_yaml(path)
    soak = [r for r in gate.get("rules", []) if r.get("kind") == "soak_time"]
    if not soak:
        return git(workspace.repo, "rev-parse", "HEAD").strip()
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    hours = [i for i, line in enumerate(lines) if line.strip().startswith("hours:")]
    if len(hours) != len(soak):
        raise BadInputError(f"{PROD_GATE}: cannot find the soak rule's `hours:` line to waive")
    for index in hours:
        indent = lines[index][: len(lines[index]) - len(lines[index].lstrip())]
        lines[index] = f"{indent}hours: 0  # mlops demo: soak time waived in this scratch clone\n"
    path.write_text("".join(lines), encoding="utf-8")
    git(workspace.repo, "add", PROD_GATE)
    git(workspace.repo, "commit", "--quiet", "-m",
        "demo: waive the 24 h soak time of the prod gate\n\n"
        "A demo cannot wait a day; every other rule of the gate applies unchanged.")  # fmt: skip
    return git(workspace.repo, "rev-parse", "HEAD").strip()


def trust_audit_log(workspace: Workspace, log_id: str, public_pem: str, body_pem: str) -> str:
    """Commit, in the clone, audit/config.yaml naming the demo's evidence log, where it is and
    the public key its checkpoints are signed with: what a platform team commits once when it
    provisions the governance service. Verification trusts this file, never the log itself."""
    path = workspace.repo / CONFIG
    path.parent.mkdir(parents=True, exist_ok=True)
    config = {"logs": [{"id": log_id, "url": f"sqlite:///{workspace.audit_db}",
                        "keys": [public_pem]}],
              "certification_body": {"name": "mlops demo certification body", "keys": [body_pem]}}  # fmt: skip
    path.write_text(
        "# written by `mlops demo`: the evidence log this clone trusts\n"
        + yaml.safe_dump(config, sort_keys=False),
        encoding="utf-8",
    )
    git(workspace.repo, "add", CONFIG)
    git(workspace.repo, "commit", "--quiet", "-m",
        "audit: trust the demo's evidence log\n\n"
        "Its id, location and public key, and the certification body's key; `mlops audit\n"
        "verify` and `mlops audit certificate verify` in this clone read them.")  # fmt: skip
    return git(workspace.repo, "rev-parse", "HEAD").strip()


def merge(workspace: Workspace, branch: str, into: str) -> str:
    """What the Git host does when the promotion pull request is merged: a merge commit."""
    git(workspace.repo, "checkout", "--quiet", into)
    git(
        workspace.repo, "merge", "--quiet", "--no-ff", "-m", f"Merge pull request: {branch}", branch
    )
    return git(workspace.repo, "rev-parse", "HEAD").strip()
