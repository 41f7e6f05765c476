"""The packs against the repository's stacks and the deliberately bad fixture stack."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from rich.console import Console

from mlops.policy.reporters import print_text, render, to_json, to_sarif
from mlops.policy.result import StackResult
from tests.policies.conftest import EXPECTED_BAD


@pytest.mark.parametrize("stack", ["local", "dev", "int", "prod"])
def test_repository_stack_passes(stack_results: dict[str, StackResult], stack: str) -> None:
    result = stack_results[stack]
    assert [(v.rule, v.resource, v.message) for v in result.mandatory] == []
    assert result.passed


def test_packs_follow_the_environment(stack_results: dict[str, StackResult]) -> None:
    packs = {name: result.packs for name, result in stack_results.items()}
    assert packs == {
        "local": ["baseline"],
        "dev": ["baseline"],
        "int": ["baseline", "production"],
        "prod": ["baseline", "production"],
        "bad": ["baseline"],
    }
    assert len(stack_results["prod"].rules) == 31


def test_int_and_prod_have_no_mandatory_findings(stack_results: dict[str, StackResult]) -> None:
    """The one serving runtime's image comes from the platform's registry: nothing is left."""
    for stack in ("int", "prod"):
        assert stack_results[stack].mandatory == [], stack


def test_bad_fixture_yields_exactly_the_expected_violations(
    stack_results: dict[str, StackResult],
) -> None:
    bad, dev = stack_results["bad"], stack_results["dev"]
    assert {(v.rule, v.resource) for v in bad.mandatory} == EXPECTED_BAD
    assert len(bad.mandatory) == len(EXPECTED_BAD)
    # everything else it reports, the repository's dev stack reports too (advisory only)
    others = {(v.rule, v.resource, v.message) for v in bad.violations if v not in bad.mandatory}
    assert others <= {(v.rule, v.resource, v.message) for v in dev.violations}
    assert not bad.passed


def test_json_report_shape(stack_results: dict[str, StackResult]) -> None:
    document = to_json([stack_results["bad"]])
    assert set(document) >= {"stack", "rules", "violations"}
    assert document["stack"] == "dev"
    assert len(document["rules"]) == 24
    public = next(v for v in document["violations"] if v["resource"] == "cluster")
    assert public["rule"] == "aws-eks-cluster-restrict-public-endpoint"
    assert public["enforcement"] == "mandatory"
    assert "0.0.0.0/1, 128.0.0.0/1" in public["message"]
    assert public["fix"]
    assert isinstance(to_json([stack_results["dev"], stack_results["bad"]]), list)


def test_sarif_is_structurally_valid(stack_results: dict[str, StackResult]) -> None:
    results = [stack_results["dev"], stack_results["bad"]]
    sarif = json.loads(render(results, "sarif"))
    assert sarif["version"] == "2.1.0"
    assert sarif["$schema"].endswith("sarif-2.1.0.json")
    assert len(sarif["runs"]) == 2
    for run, result in zip(sarif["runs"], results, strict=True):
        rules = run["tool"]["driver"]["rules"]
        assert run["tool"]["driver"]["name"]
        assert [rule["id"] for rule in rules] == [rule.name for rule in result.rules]
        assert all(rule["shortDescription"]["text"] for rule in rules)
        assert len(run["results"]) == len(result.violations)
        for item in run["results"]:
            assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
            assert item["level"] in {"error", "warning", "note"}
            assert item["message"]["text"]
            location = item["locations"][0]
            assert location["physicalLocation"]["artifactLocation"]["uri"] == result.stack_file
            assert location["physicalLocation"]["region"]["startLine"] >= 1
            assert location["logicalLocations"][0]["fullyQualifiedName"].startswith("urn:pulumi:")
    levels = [item["level"] for item in sarif["runs"][1]["results"]]
    assert levels.count("error") == len(EXPECTED_BAD)
    assert to_sarif([])["runs"] == []


def test_junit_is_parseable_and_fails_the_violated_rules(
    stack_results: dict[str, StackResult],
) -> None:
    root = ET.fromstring(render([stack_results["bad"]], "junit"))
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "24"
    assert suite.get("failures") == str(len(EXPECTED_BAD))
    failed = {
        case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None
    }
    assert failed == {rule for rule, _ in EXPECTED_BAD}
    advisory = [case for case in suite.iter("testcase") if case.find("system-out") is not None]
    assert {case.get("name") for case in advisory} <= {
        "kubernetes-pod-require-readonly-root-filesystem"
    }


def test_text_report_names_rule_resource_message_and_fix(
    stack_results: dict[str, StackResult],
) -> None:
    console = Console(record=True, width=200, file=io.StringIO())
    print_text([stack_results["bad"]], console)
    text = console.export_text()
    assert "dev (dev): 24 rules from baseline" in text
    assert (
        "MANDATORY kubernetes-pod-disallow-privileged  debug-shell kubernetes:core/v1:Pod" in text
    )
    assert "container 'shell' (spec.containers[0]) sets securityContext.privileged: true" in text
    assert "fix: Remove securityContext.privileged" in text
    assert "failed: 4 mandatory" in text
