"""Evidence-assisted answers: the factors a repository (and its audit log) can prove.

Each rule looks only at what exists at run time and yields a lower bound for one factor, with
the files (path:line) or log entries that prove it. A rule that finds nothing yields nothing:
absence of evidence is not evidence of a low level, so the answer is then left to the people.

Rules (level = the lowest level the evidence is enough for):
- CI: a workflow under .github/workflows/ with jobs that runs the test suite, and test files
  under tests/ -> release_integration.application_tests 2 ("Application code has unit tests").
- CD: a workflow step that deploys or promotes (pulumi up, mlops promote, argocd, kubectl
  apply, helm upgrade), or Argo CD Applications under gitops/ together with a CI workflow ->
  release_management 3 (4 when CI also runs the tests), release_automation 4, release_process 4,
  tooling.lifecycle_tooling 2.
- Compliance: policy packs, checkov checks or gates under policies/ that a CI workflow runs,
  or gate verdicts in an audit log that verifies -> testing_validation.compliance 2; both -> 3;
  both and a verdict for every gate under policies/gates/ (at least two) -> 4.
- Experiment tracking: MLflow configured (a configuration key, a tracking server image, the
  tracking URI or client calls) in components/, stacks/, pipelines/ or gitops/ ->
  model_creation.experiment_tracking 4.
- Versioning: training pipeline code under pipelines/ that registers its models ->
  model_creation.code_and_model_versioning 3.
- Monitoring: ServiceMonitor/PodMonitor/PrometheusRule objects in gitops/ or components/ ->
  visualization_monitoring_documentation.monitoring 2.
"""

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops.errors import BadInputError, CheckFailedError
from mlops.yamlio import parse_yaml

MAX_SCAN_BYTES = 1_000_000
MAX_CITED = 6
_SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".mypy_cache", ".ruff_cache"}
_TEXT_SUFFIXES = {".py", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".sh", ".txt", ".md"}

_TESTS_RUN = re.compile(r"\b(pytest|tox|nox|make test|npm test|go test)\b")
_DEPLOYS = re.compile(
    r"pulumi\s+up\b|pulumi/actions|mlops\s+(promote|release|deploy)\b|\bargocd\b"
    r"|kubectl\s+apply\b|helm\s+(upgrade|install)\b"
)
_RUNS_POLICIES = re.compile(
    r"--policy-pack|\bcheckov\b|mlops\s+(gate|gates|policy|policies)\b|\bpolicies/"
)
_ARGO_APP = re.compile(r"^\s*kind:\s*(Application|ApplicationSet)\s*$")
_ARGO_API = re.compile(r"argoproj\.io/")
_MLFLOW = re.compile(
    r"^\s*[\w.:-]*mlflow[\w.-]*\s*:(\s|$)"  # a configuration key: `mlflow: host`, `mlops:mlflow:`
    r"|MLFLOW_TRACKING_URI|\bimport mlflow\b|\bfrom mlflow\b|\bmlflow\.[a-z_]+\("  # client use
    r"|image\W.*mlflow",  # a tracking server image
    re.IGNORECASE,
)
"""Lines that configure or use MLflow (prose that merely mentions it does not count)."""
_REGISTERS = re.compile(r"register_model|registered_model|model_registry|ModelRegistry")
_MONITORS = re.compile(r"\b(ServiceMonitor|PodMonitor|PrometheusRule)\b")
VERDICT_PREFIX = "gate."
"""Verdict entries are named `gate.<gate>` (mlops.governance.quality)."""


@dataclass(frozen=True)
class Finding:
    """A proven lower bound for one factor, with the reason and what proves it."""

    dimension: str
    factor: str
    level: int
    reason: str
    evidence: tuple[str, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.dimension, self.factor)


@dataclass
class Collected:
    """Everything the rules found, plus notes on evidence that was looked at and not used."""

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Verdict:
    seq: int
    gate: str
    cite: str


def _rel(repo: Path, path: Path) -> str:
    return path.relative_to(repo).as_posix()


def _files(repo: Path, sub: str) -> Iterator[Path]:
    root = repo / sub
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        parts = set(path.relative_to(repo).parts)
        if parts & _SKIP_DIRS or path.is_symlink() or not path.is_file():
            continue
        if path.suffix in _TEXT_SUFFIXES and path.stat().st_size <= MAX_SCAN_BYTES:
            yield path


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []


def _grep(repo: Path, paths: list[Path], pattern: re.Pattern[str]) -> list[str]:
    """`path:line: text` for each matching line."""
    hits = []
    for path in paths:
        for number, line in enumerate(_lines(path), start=1):
            if pattern.search(line):
                hits.append(f"{_rel(repo, path)}:{number}: {line.strip()[:120]}")
    return hits


def _cite(items: list[str]) -> tuple[str, ...]:
    if len(items) <= MAX_CITED:
        return tuple(items)
    return (*items[:MAX_CITED], f"... and {len(items) - MAX_CITED} more")


def _workflows(repo: Path, notes: list[str]) -> list[Path]:
    """CI workflows that parse and define at least one job."""
    found = []
    for path in _files(repo, ".github/workflows"):
        if path.suffix not in (".yml", ".yaml"):
            continue
        try:
            data = parse_yaml(path.read_text(encoding="utf-8"), _rel(repo, path))
        except (BadInputError, OSError, UnicodeDecodeError) as error:
            notes.append(f"{_rel(repo, path)}: not used as evidence: {error}")
            continue
        if isinstance(data, dict) and isinstance(data.get("jobs"), dict) and data["jobs"]:
            found.append(path)
        else:
            notes.append(f"{_rel(repo, path)}: not used as evidence: no jobs")
    return found


def _test_files(repo: Path) -> list[Path]:
    return [
        p
        for p in _files(repo, "tests")
        if p.name.startswith("test_") or p.name.endswith("_test.py")
    ]


def _argo_apps(repo: Path) -> list[str]:
    apps = []
    for path in _files(repo, "gitops"):
        lines = _lines(path)
        if any(_ARGO_API.search(line) for line in lines):
            for number, line in enumerate(lines, start=1):
                if _ARGO_APP.match(line):
                    apps.append(f"{_rel(repo, path)}:{number}: {line.strip()}")
    return apps


def _policy_tools(repo: Path) -> list[str]:
    root = repo / "policies"
    if not root.is_dir():
        return []
    found = [_rel(repo, p) for p in sorted(root.rglob("PulumiPolicy.yaml")) if p.is_file()]
    found += [_rel(repo, p) for p in _gate_files(repo)]
    found += [
        _rel(repo, p)
        for p in sorted(root.rglob("*"))
        if p.is_file() and "checkov" in p.relative_to(root).as_posix().lower()
    ]
    return sorted(set(found))


def _gate_files(repo: Path) -> list[Path]:
    root = repo / "policies" / "gates"
    if not root.is_dir():
        return []
    return sorted(p for p in root.iterdir() if p.is_file() and p.suffix in (".yaml", ".yml"))


def _require_sqlite_log(path: Path, audit_log: str) -> None:
    """Check read-only that a SQLite file is an evidence log, so opening it writes nothing."""
    allowed = "allowed: an evidence log written by the governance service"
    if not path.is_file():
        raise BadInputError(f"{audit_log}: --audit: file not found; {allowed}")
    try:
        with closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            found = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_entries'"
            ).fetchone()
    except sqlite3.Error as error:
        raise BadInputError(
            f"{audit_log}: --audit: not a SQLite database ({error}); {allowed}"
        ) from None
    if found is None:
        raise BadInputError(f"{audit_log}: --audit: no audit_entries table; {allowed}")


def read_verdicts(audit_log: str) -> tuple[list[Verdict], list[str]]:
    """Gate verdicts from the evidence log, only if its hash chain verifies.

    A missing log file is bad input; a log that fails verification proves nothing, so its
    verdicts are not used and a note says why.
    """
    from mlops.governance import keys
    from mlops.governance.db import DbUrl
    from mlops.governance.log import EvidenceLog

    url = DbUrl.parse(audit_log)
    if url.path is not None:
        _require_sqlite_log(url.path, audit_log)
    # A self-assessment trusts the operator's own key beside a local log (an auditor does not:
    # `mlops audit verify` trusts only keys from the repository's audit/config.yaml).
    sidecar = url.path.with_name(url.path.name + ".key.pem") if url.path else None
    try:
        key = keys.load_public_key(sidecar) if sidecar and sidecar.is_file() else None
        with EvidenceLog(audit_log, read_only=True) as log:
            result = log.verify(public_key=key)
            if not result.ok:
                problem = result.problems[0]
                return [], [
                    f"{audit_log}: verdicts not used: the log does not verify "
                    f"(entry {problem.seq}: {problem.message})"
                ]
            entries = log.query(kind="verdict")
    except CheckFailedError as error:
        return [], [f"{audit_log}: verdicts not used: {error}"]
    except Exception as error:  # a file that is not an evidence log at all
        raise BadInputError(
            f"{audit_log}: --audit: cannot read as an evidence log: {error}"
        ) from None
    verdicts = [
        Verdict(
            seq=e.seq,
            gate=_gate_of(e.name, e.value),
            cite=f"{audit_log}#seq={e.seq}: verdict {e.name}{_outcome(e.value)}"
            f"{_subject(e.subject.render())} hash {e.hash[:12]}",
        )
        for e in entries
    ]
    return verdicts, []


def _outcome(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("verdict", "outcome", "result", "status"):
            if isinstance(value.get(key), str):
                return f" = {value[key]}"
        if isinstance(value.get("passed"), bool):
            return " = pass" if value["passed"] else " = fail"
    return ""


def _subject(rendered: str) -> str:
    return f" [{rendered}]" if rendered else ""


def _gate_of(name: str, value: Any) -> str:
    """The gate a verdict entry is about: its value's `gate`, else its name less `gate.`."""
    if isinstance(value, dict) and isinstance(value.get("gate"), str):
        return str(value["gate"])
    return name.removeprefix(VERDICT_PREFIX)


def _gate_name(repo: Path, path: Path) -> str:
    """A gate file's `name:` when it has one, else its file name without the suffix."""
    try:
        data = parse_yaml(path.read_text(encoding="utf-8"), _rel(repo, path))
    except (BadInputError, OSError, UnicodeDecodeError):
        return path.stem
    name = data.get("name") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else path.stem


def _gate_coverage(
    repo: Path, gates: list[Path], verdicts: list[Verdict]
) -> tuple[list[str], list[str]]:
    """(covered, uncovered) gate names: a gate is covered when a verdict names it."""
    judged = {v.gate for v in verdicts}
    names = [_gate_name(repo, gate) for gate in gates]
    return [n for n in names if n in judged], [n for n in names if n not in judged]


def _ci_and_cd(repo: Path, collected: Collected) -> tuple[list[Path], list[str]]:
    workflows = _workflows(repo, collected.notes)
    tests_run = _grep(repo, workflows, _TESTS_RUN)
    test_files = _test_files(repo)
    ci_tests = bool(tests_run and test_files)
    if ci_tests:
        collected.findings.append(
            Finding(
                "release_integration",
                "application_tests",
                2,
                "CI runs the unit tests of the application code",
                _cite([*tests_run, f"tests/: {len(test_files)} test files"]),
            )
        )
    deploys = _grep(repo, workflows, _DEPLOYS)
    argo = _argo_apps(repo) if workflows else []
    cd = deploys + argo
    if not cd:
        return workflows, tests_run
    cd_evidence = _cite([*cd, *(_rel(repo, w) for w in workflows if not deploys)])
    management = 4 if ci_tests else 3
    collected.findings += [
        Finding(
            "release_integration",
            "release_management",
            management,
            "releases go through CI/CD" + (" and CI runs the tests" if ci_tests else ""),
            _cite([*cd, *tests_run]) if ci_tests else cd_evidence,
        ),
        Finding(
            "release_integration", "release_automation", 4, "releases are automated", cd_evidence
        ),
        Finding("release_integration", "release_process", 4, "release is automatic", cd_evidence),
        Finding(
            "tooling",
            "lifecycle_tooling",
            2,
            "tools are integrated for the release phase (CI/CD)",
            cd_evidence,
        ),
    ]
    return workflows, tests_run


def _compliance(
    repo: Path, workflows: list[Path], audit_log: str | None, collected: Collected
) -> None:
    tools = _policy_tools(repo)
    runs = _grep(repo, workflows, _RUNS_POLICIES) if tools else []
    if tools and not runs:
        collected.notes.append(
            f"policies/: {len(tools)} policy files, but no CI workflow runs them: "
            "compliance checking in CI/CD not proven"
        )
    verdicts: list[Verdict] = []
    if audit_log is not None:
        verdicts, notes = read_verdicts(audit_log)
        collected.notes += notes
        if not verdicts and not notes:
            collected.notes.append(f"{audit_log}: no gate verdicts in the log")
    in_ci = bool(tools and runs)
    if not in_ci and not verdicts:
        return
    evidence = [*tools, *runs] if in_ci else []
    level, reasons = (3 if in_ci and verdicts else 2), []
    if in_ci:
        reasons.append("policy checks run in CI")
    if verdicts:
        reasons.append(f"{len(verdicts)} gate verdict(s) recorded in a verified audit log")
        gates = _gate_files(repo)
        covered, uncovered = _gate_coverage(repo, gates, verdicts)
        if in_ci and len(gates) >= 2 and not uncovered:
            level = 4
            reasons.append(f"every gate ({', '.join(covered)}) has verdicts: continuous audit")
        elif gates:
            reasons.append(f"gates without a verdict: {', '.join(uncovered) or 'none'}")
        evidence += [v.cite for v in verdicts]
    collected.findings.append(
        Finding("testing_validation", "compliance", level, "; ".join(reasons), _cite(evidence))
    )


def _tracking_and_versioning(repo: Path, collected: Collected) -> None:
    places = ("components", "stacks", "pipelines", "gitops")
    scanned = [p for place in places for p in _files(repo, place)]
    mlflow = _grep(repo, scanned, _MLFLOW)
    if mlflow:
        collected.findings.append(
            Finding(
                "model_creation",
                "experiment_tracking",
                4,
                "experiment tracking (MLflow) is configured",
                _cite(mlflow),
            )
        )
    pipeline_code = [p for p in _files(repo, "pipelines") if p.suffix == ".py"]
    registers = _grep(repo, [*pipeline_code, *_files(repo, "components")], _REGISTERS)
    if pipeline_code and registers:
        collected.findings.append(
            Finding(
                "model_creation",
                "code_and_model_versioning",
                3,
                "training code is in version control and models are registered",
                _cite([f"pipelines/: {len(pipeline_code)} Python files", *registers]),
            )
        )
    monitors = _grep(repo, [*_files(repo, "gitops"), *_files(repo, "components")], _MONITORS)
    if monitors:
        collected.findings.append(
            Finding(
                "visualization_monitoring_documentation",
                "monitoring",
                2,
                "monitoring of technical KPIs is declared for the deployments",
                _cite(monitors),
            )
        )


def collect(repo: Path, audit_log: str | None = None) -> Collected:
    """Run every rule against the repository at `repo` (and the audit log, when given)."""
    if not repo.is_dir():
        raise BadInputError(f"{repo}: --repo: not a directory; allowed: a repository checkout")
    collected = Collected()
    workflows, _ = _ci_and_cd(repo, collected)
    if not workflows:
        collected.notes.append(".github/workflows/: no CI workflow with jobs found")
    _compliance(repo, workflows, audit_log, collected)
    _tracking_and_versioning(repo, collected)
    return collected
