"""What a policy check found: the rules that ran on a stack and their violations."""

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Rule:
    pack: str
    name: str
    description: str
    enforcement: str  # as configured for this stack
    kind: str  # "resource" or "stack"
    fix: str


@dataclass(frozen=True)
class Violation:
    pack: str
    rule: str
    resource: str  # the resource's logical name, or the stack's for a stack-wide finding
    resource_type: str
    urn: str
    enforcement: str
    message: str
    fix: str


@dataclass
class StackResult:
    stack: str
    environment: str
    stack_file: str
    packs: list[str]
    rules: list[Rule]
    violations: list[Violation] = field(default_factory=list)

    @property
    def mandatory(self) -> list[Violation]:
        return [v for v in self.violations if v.enforcement == "mandatory"]

    @property
    def passed(self) -> bool:
        return not self.mandatory

    def as_json(self) -> dict[str, Any]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "packs": self.packs,
            "passed": self.passed,
            "rules": [asdict(rule) for rule in self.rules],
            "violations": [
                {
                    "rule": v.rule,
                    "resource": v.resource,
                    "enforcement": v.enforcement,
                    "message": v.message,
                    "type": v.resource_type,
                    "urn": v.urn,
                    "pack": v.pack,
                    "fix": v.fix,
                }
                for v in self.violations
            ],
        }
