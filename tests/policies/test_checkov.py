"""The CKV_MLOPS checkov checks on small fixtures (one object per file, named
`ckv-mlops-<n>-pass*` / `ckv-mlops-<n>-fail*` for check n, `good*` passing every check), and `mlops policy gitops` on the repository's
gitops/ tree. Checkov runs from its isolated environment (.venvs/checkov), as in CI."""

import shutil

import pytest

from mlops.policy.gitops import CHECKOV, Finding, GitopsReport, scan
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "policies" / "fixtures" / "checkov"
CHECKS_DIR = REPO / "policies" / "checkov"
FIXTURE_DIR = "checkov-fixtures"
CHECK_IDS = [f"CKV_MLOPS_{n}" for n in range(1, 11)]


@pytest.fixture(scope="module")
def checkov() -> None:
    if not (REPO / CHECKOV).is_file():
        pytest.skip(f"{CHECKOV} missing: run ./scripts/setup (checkov lives in its own venv)")


@pytest.fixture(scope="module")
def combined(checkov: None, tmp_path_factory: pytest.TempPathFactory) -> GitopsReport:
    """One checkov run (its start-up dominates) over the repository's gitops/ and the fixtures."""
    root = tmp_path_factory.mktemp("checkov") / "scan"
    shutil.copytree(REPO / "gitops", root / "gitops")
    shutil.copytree(FIXTURES, root / FIXTURE_DIR)
    return scan(root, CHECKS_DIR, REPO / CHECKOV)


def part(report: GitopsReport, fixtures: bool) -> GitopsReport:
    """The findings of the fixtures, or of the repository's gitops/ (generated Applications
    are named after the folder of their ApplicationSet)."""

    def is_fixture(finding: Finding) -> bool:
        name = finding.file.rsplit("/", 1)[-1]
        return f"/{FIXTURE_DIR}/" in finding.file or name.startswith(f"{FIXTURE_DIR}-")

    return GitopsReport(
        paths=report.paths,
        objects=report.objects,
        checked=report.checked,
        passed=report.passed,
        findings=[f for f in report.findings if is_fixture(f) == fixtures],
    )


@pytest.fixture(scope="module")
def fixtures(combined: GitopsReport) -> GitopsReport:
    return part(combined, fixtures=True)


@pytest.fixture(scope="module")
def repository(combined: GitopsReport) -> GitopsReport:
    return part(combined, fixtures=False)


def outcomes(report: GitopsReport, check: str) -> dict[str, str]:
    """Resource name -> failed/skipped for one check (absent: passed)."""
    return {
        finding.resource.rsplit(".", 1)[-1]: finding.status
        for finding in report.findings
        if finding.check == check
    }


@pytest.mark.parametrize("check", CHECK_IDS)
def test_check_fails_its_bad_fixtures_and_passes_the_good(
    fixtures: GitopsReport, check: str
) -> None:
    number = check.rsplit("_", 1)[-1]
    found = outcomes(fixtures, check)
    failing = {name for name, status in found.items() if status == "failed"}
    own_failures = {name for name in failing if name.startswith(f"ckv-mlops-{number}-")}
    assert own_failures, f"{check} has no failing fixture"
    assert all(name.startswith(f"ckv-mlops-{number}-fail") for name in own_failures)
    assert not {name for name in failing if name.startswith(("good", f"ckv-mlops-{number}-pass"))}
    fixture_names = {path.stem for path in FIXTURES.rglob("*.yaml")}
    assert any(name.startswith(("good", f"ckv-mlops-{number}-pass")) for name in fixture_names)


def test_every_bad_fixture_fails_its_check(fixtures: GitopsReport) -> None:
    failed = {
        (f.check, f.resource.rsplit(".", 1)[-1]) for f in fixtures.findings if f.status == "failed"
    }
    named = {name for _, name in failed}
    for check in CHECK_IDS:
        number = check.rsplit("_", 1)[-1]
        bad = {name for name in named if name.startswith(f"ckv-mlops-{number}-fail")}
        assert bad and all((check, name) in failed for name in bad), check


def test_templated_application_sets_are_checked_through_their_applications(
    fixtures: GitopsReport,
) -> None:
    assert fixtures.checked == fixtures.objects
    assert outcomes(fixtures, "CKV_MLOPS_6").get("ckv-mlops-6-fail-generated-prod") == "failed"
    assert "ckv-mlops-6-pass-generated-dev" not in outcomes(fixtures, "CKV_MLOPS_6")


def test_skips_need_a_reason(fixtures: GitopsReport) -> None:
    skipped = {f.resource.rsplit(".", 1)[-1]: f for f in fixtures.findings if f.status == "skipped"}
    assert skipped["skipped-with-reason"].reason == "sized by the load generator of this fixture"
    assert skipped["skipped-without-reason"].reason == ""
    assert skipped["skipped-without-reason"] in fixtures.failures
    assert skipped["skipped-with-reason"] not in fixtures.failures
    assert not fixtures.ok


def test_repository_gitops_is_fully_checked(repository: GitopsReport) -> None:
    assert repository.objects > 40  # the repository's objects and the fixtures, all checked
    assert repository.checked == repository.objects
    assert repository.failures == []


def test_repository_gitops_passes_checkov(repository: GitopsReport) -> None:
    assert [(f.check, f.resource, f.file) for f in repository.failures] == []


def test_route_check_names_the_platform_gateway_and_its_authenticated_listener() -> None:
    """CKV_MLOPS_10 runs in checkov's environment and cannot import the platform: its copy of
    the Gateway's name, namespace and authenticated listener must match components/edge.py."""
    import ast

    from components.edge import GATEWAY, listener_name
    from mlops.config.namespaces import NAMESPACES

    tree = ast.parse((CHECKS_DIR / "route_inference_listener_only.py").read_text(encoding="utf-8"))
    constants = {
        node.targets[0].id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.targets[0], ast.Name)
        and isinstance(node.value, ast.Constant)
    }
    assert constants["GATEWAY"] == GATEWAY
    assert constants["GATEWAY_NAMESPACE"] == NAMESPACES["gateway"].name
    assert constants["AUTHENTICATED_LISTENER"] == listener_name("inference")
