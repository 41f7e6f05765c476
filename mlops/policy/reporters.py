"""Reports of a policy check: text for people, JSON for scripts, SARIF for code scanning and
JUnit XML for CI test views."""

import json
import xml.etree.ElementTree as ET
from typing import Any

from rich.console import Console
from rich.markup import escape

from mlops.policy.result import StackResult

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_LEVELS = {"mandatory": "error", "remediate": "error", "advisory": "warning"}
TOOL = "mlops policy"
STYLE = {"mandatory": "bold red", "remediate": "bold red", "advisory": "yellow"}


def print_text(results: list[StackResult], console: Console) -> None:
    for result in results:
        console.print(
            f"[bold]{result.stack}[/] ({result.environment}): {len(result.rules)} rules from "
            f"{', '.join(result.packs)}"
        )
        for v in result.violations:
            style = STYLE.get(v.enforcement, "")
            console.print(
                f"  [{style}]{v.enforcement.upper()}[/] {escape(v.rule)}  "
                f"{escape(v.resource)} [dim]{escape(v.resource_type)}[/]"
            )
            console.print(f"    {escape(v.message)}")
            console.print(f"    [dim]fix:[/] {escape(v.fix)}")
        advisory = len(result.violations) - len(result.mandatory)
        verdict = "[green]passed[/]" if result.passed else "[bold red]failed[/]"
        console.print(
            f"  {verdict}: {len(result.mandatory)} mandatory, {advisory} advisory violation(s)"
        )


def to_json(results: list[StackResult]) -> Any:
    """One stack: the object `{"stack", "rules", "violations", ...}`; several: a list of them."""
    documents = [result.as_json() for result in results]
    return documents[0] if len(documents) == 1 else documents


def to_sarif(results: list[StackResult]) -> dict[str, Any]:
    """SARIF 2.1.0: one run per stack; a finding's location is the stack file (the input that
    produced the resource) plus the resource's URN as a logical location."""
    runs = []
    for result in results:
        rules = [
            {
                "id": rule.name,
                "name": rule.name,
                "shortDescription": {"text": rule.description},
                "fullDescription": {"text": f"{rule.description} ({rule.pack} pack)"},
                "help": {"text": rule.fix or rule.description},
                "defaultConfiguration": {"level": SARIF_LEVELS.get(rule.enforcement, "none")},
                "properties": {"pack": rule.pack, "kind": rule.kind},
            }
            for rule in result.rules
        ]
        index = {rule["id"]: position for position, rule in enumerate(rules)}
        runs.append(
            {
                "tool": {"driver": {"name": TOOL, "informationUri": "policies/", "rules": rules}},
                "automationDetails": {"id": f"policy/{result.stack}/"},
                "results": [
                    {
                        "ruleId": v.rule,
                        "ruleIndex": index[v.rule],
                        "level": SARIF_LEVELS.get(v.enforcement, "note"),
                        "message": {"text": f"{v.resource} ({v.resource_type}): {v.message}"},
                        "locations": [
                            {
                                "physicalLocation": {
                                    "artifactLocation": {"uri": result.stack_file},
                                    "region": {"startLine": 1},
                                },
                                "logicalLocations": [
                                    {
                                        "name": v.resource,
                                        "fullyQualifiedName": v.urn or result.stack,
                                        "kind": "resource",
                                    }
                                ],
                            }
                        ],
                        "properties": {"stack": result.stack, "enforcement": v.enforcement},
                    }
                    for v in result.violations
                ],
            }
        )
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": runs}


def to_junit(results: list[StackResult]) -> str:
    """One test suite per stack, one test case per rule; a mandatory violation fails the case,
    an advisory one is written to its system-out."""
    suites = ET.Element("testsuites", name=TOOL)
    for result in results:
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"policy.{result.stack}",
            tests=str(len(result.rules)),
            failures="0",
            errors="0",
            skipped="0",
        )
        failures = skipped = 0
        for rule in result.rules:
            case = ET.SubElement(
                suite, "testcase", classname=f"{result.stack}.{rule.pack}", name=rule.name
            )
            found = [v for v in result.violations if v.rule == rule.name and v.pack == rule.pack]
            blocking = [v for v in found if v.enforcement in {"mandatory", "remediate"}]
            lines = [f"{v.resource} ({v.resource_type}): {v.message}" for v in found]
            if rule.enforcement == "disabled":
                ET.SubElement(case, "skipped", message="disabled for this stack")
                skipped += 1
            elif blocking:
                failure = ET.SubElement(
                    case, "failure", message=f"{len(blocking)} violation(s)", type="mandatory"
                )
                failure.text = "\n".join([*lines, f"fix: {rule.fix}"])
                failures += 1
            elif found:
                ET.SubElement(case, "system-out").text = "advisory:\n" + "\n".join(lines)
        suite.set("failures", str(failures))
        suite.set("skipped", str(skipped))
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")


def render(results: list[StackResult], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(to_json(results), indent=2)
    if fmt == "sarif":
        return json.dumps(to_sarif(results), indent=2)
    if fmt == "junit":
        return to_junit(results)
    raise ValueError(f"unknown format {fmt}")
