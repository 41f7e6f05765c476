"""Checkov on what Argo CD syncs: the rendered manifests and bootstrap objects under gitops/.

Checkov runs as an isolated tool (`.venvs/checkov`, it pins packaging<24) with the platform's
custom checks (policies/checkov, CKV_MLOPS_<n>) next to its built-in ones. Two things checkov
does silently are made loud here:
- it drops any object whose name is not a valid Kubernetes name, so an ApplicationSet with a Go
  template (`name: models-{{.environment}}`) is never checked; its generated Applications are
  written out (mlops.gitops.bootstrap.generated_applications) and checked instead, and the number
  of objects checkov saw must match the number there are;
- a skip annotation without a reason still skips; here it counts as a failure.
"""

import json
import shutil
import subprocess
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from mlops.errors import BadInputError
from mlops.gitops.bootstrap import generated_applications
from mlops.yamlio import load_yaml

CHECKOV = Path(".venvs/checkov/bin/checkov")
CHECKS_DIR = Path("policies/checkov")
MANIFEST_SUFFIXES = (".yaml", ".yml")
GENERATED = "generated-by-applicationsets"
NO_REASON = "No comment provided"  # what checkov records for a skip without `=reason`


@dataclass(frozen=True)
class Finding:
    check: str
    name: str
    resource: str
    file: str
    status: str  # "failed", or "skipped" with a reason
    reason: str = ""


@dataclass
class GitopsReport:
    paths: list[str]
    objects: int  # Kubernetes objects there are to check (generated Applications included)
    checked: int  # objects checkov reported on
    passed: int
    findings: list[Finding] = field(default_factory=list)

    @property
    def failures(self) -> list[Finding]:
        return [
            f
            for f in self.findings
            if f.status == "failed" or (f.status == "skipped" and not f.reason)
        ]

    @property
    def ok(self) -> bool:
        return not self.failures and self.checked == self.objects

    def as_json(self) -> dict[str, Any]:
        return {
            "paths": self.paths,
            "objects": self.objects,
            "checked": self.checked,
            "passed": self.passed,
            "ok": self.ok,
            "findings": [asdict(finding) for finding in self.findings],
        }


def kubernetes_objects(root: Path) -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(root.rglob("*")):
        if path.suffix in MANIFEST_SUFFIXES and path.is_file():
            document = load_yaml(path)
            if isinstance(document, dict) and "apiVersion" in document and "kind" in document:
                found.append((path, document))
    return found


def _templated(obj: dict[str, Any]) -> bool:
    return obj.get("kind") == "ApplicationSet" and "{{" in json.dumps(obj)


def expand_application_sets(objects: list[tuple[Path, dict[str, Any]]], out_dir: Path) -> int:
    """Write the Applications that templated ApplicationSets generate; returns how many."""
    count = 0
    for path, obj in objects:
        if not _templated(obj):
            continue
        for app in generated_applications(obj):
            target = out_dir / f"{path.parent.name}-{path.stem}-{app['metadata']['name']}.yaml"
            header = f"# Generated from {path} by mlops policy gitops, for checkov only.\n"
            target.write_text(header + yaml.safe_dump(app, sort_keys=False), encoding="utf-8")
            count += 1
    return count


def run_checkov(paths: list[Path], checks_dir: Path, checkov: Path) -> list[dict[str, Any]]:
    if not checkov.is_file():
        raise BadInputError(f"{checkov}: missing; run ./scripts/setup (it installs checkov)")
    command = [str(checkov)]
    for path in paths:
        command += ["-d", str(path)]
    command += [
        "--framework", "kubernetes", "--skip-download", "--compact", "-o", "json",
        "--external-checks-dir", str(checks_dir),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    documents = _json_documents(completed.stdout)
    if completed.returncode not in (0, 1) or documents is None:
        raise BadInputError(
            f"checkov failed (exit {completed.returncode}): {completed.stderr[-2000:]}"
        )
    reports = [r for d in documents for r in (d if isinstance(d, list) else [d])]
    return [report for report in reports if report.get("check_type") == "kubernetes"]


def _json_documents(text: str) -> list[Any] | None:
    """Checkov prints one JSON document per scanned directory, one after the other."""
    decoder, documents, position = json.JSONDecoder(), [], 0
    text = text.strip()
    while position < len(text):
        try:
            document, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            return None
        documents.append(document)
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
    return documents or None


def scan(root: Path, checks_dir: Path = CHECKS_DIR, checkov: Path = CHECKOV) -> GitopsReport:
    """Checkov over a copy of `root` plus the Applications its ApplicationSets generate (one
    directory: checkov repeats results when given several)."""
    if not root.is_dir():
        raise BadInputError(f"{root}: no such directory")
    if not (checks_dir / "__init__.py").is_file():
        raise BadInputError(f"{checks_dir}: not a folder of checkov checks (needs __init__.py)")
    objects = kubernetes_objects(root)
    with tempfile.TemporaryDirectory(prefix="mlops-gitops-") as workdir:
        copy = Path(workdir) / root.resolve().name
        shutil.copytree(root, copy)
        generated = Path(workdir) / GENERATED
        generated.mkdir()
        expanded = expand_application_sets(objects, generated)
        reports = run_checkov([Path(workdir)], checks_dir.absolute(), checkov)
    expected = sum(1 for _, obj in objects if not _templated(obj)) + expanded
    result = GitopsReport(
        paths=[str(root)],
        objects=expected,
        checked=sum(r.get("summary", {}).get("resource_count", 0) for r in reports),
        passed=sum(r.get("summary", {}).get("passed", 0) for r in reports),
    )
    for report in reports:
        results = report.get("results", {})
        for status, key in (("failed", "failed_checks"), ("skipped", "skipped_checks")):
            for item in results.get(key, []):
                reason = (item.get("check_result") or {}).get("suppress_comment", "")
                result.findings.append(
                    Finding(
                        check=item["check_id"],
                        name=item.get("check_name", ""),
                        resource=item.get("resource", ""),
                        file=str(item.get("file_path", "")).lstrip("/"),
                        status=status,
                        reason="" if reason == NO_REASON else reason,
                    )
                )
    return result
