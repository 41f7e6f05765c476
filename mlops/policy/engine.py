"""Evaluate the packs that apply to each stack against that stack's offline plan."""

from dataclasses import dataclass
from pathlib import Path

from mlops.config.model import StackConfig
from mlops.plan.capture import PlannedResource
from mlops.policy.analyzer import LEVELS, PackAnalyzer
from mlops.policy.config import PolicySpec, resolve
from mlops.policy.packs import POLICIES_DIR, Pack, packs_for
from mlops.policy.result import Rule, StackResult, Violation
from mlops.policy.wire import analyze_requests, analyze_stack_request


@dataclass(frozen=True)
class Target:
    """One stack to check: its name, validated configuration and stack file."""

    stack: str
    config: StackConfig
    stack_file: Path


class PolicyEngine:
    """Starts the packs the targets need (at once, so they load while the plans are built),
    evaluates plans against them, and stops them on close."""

    def __init__(self, targets: list[Target], policies_dir: Path = POLICIES_DIR) -> None:
        self._packs: dict[str, list[Pack]] = {
            target.stack: packs_for(target.config.environment, policies_dir) for target in targets
        }
        self._analyzers: dict[str, PackAnalyzer] = {}
        self._specs: dict[str, list[PolicySpec]] = {}
        try:
            for packs in self._packs.values():
                for pack in packs:
                    if pack.name not in self._analyzers:
                        self._analyzers[pack.name] = PackAnalyzer(pack)
        except BaseException:
            self.close()
            raise

    def specs(self, pack: Pack) -> list[PolicySpec]:
        if pack.name not in self._specs:
            self._specs[pack.name] = self._analyzers[pack.name].policies()
        return self._specs[pack.name]

    def check(self, target: Target, resources: list[PlannedResource]) -> StackResult:
        packs = self._packs[target.stack]
        by_urn = {resource.urn: resource for resource in resources}
        requests, stack_request = analyze_requests(resources), analyze_stack_request(resources)
        result = StackResult(
            stack=target.stack,
            environment=target.config.environment,
            stack_file=str(target.stack_file),
            packs=[pack.name for pack in packs],
            rules=[],
        )
        submitted = []
        for pack in packs:  # every pack gets its calls before any answer is awaited
            specs = self.specs(pack)
            settings = resolve(pack, specs, target.config.environment, target.config)
            analyzer = self._analyzers[pack.name]
            analyzer.configure(settings)
            submitted.append((pack, specs, settings, analyzer.submit(requests, stack_request)))
        for pack, specs, settings, diagnostics in submitted:
            by_name = {spec.name: spec for spec in specs}
            result.rules += [
                Rule(pack.name, s.name, s.description, settings[s.name].enforcement, s.kind, s.fix)
                for s in specs
            ]
            for urn, diagnostic in diagnostics():
                spec = by_name[diagnostic.policyName]
                resource = by_urn.get(urn)
                result.violations.append(
                    Violation(
                        pack=pack.name,
                        rule=spec.name,
                        resource=resource.name if resource else target.stack,
                        resource_type=resource.type if resource else "pulumi:pulumi:Stack",
                        urn=urn,
                        enforcement=LEVELS[diagnostic.enforcementLevel],
                        message=_detail(diagnostic.message, spec.description),
                        fix=spec.fix,
                    )
                )
        return result

    def close(self) -> None:
        for analyzer in self._analyzers.values():
            analyzer.close()
        self._analyzers.clear()

    def __enter__(self) -> "PolicyEngine":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _detail(message: str, description: str) -> str:
    """pulumi-policy prefixes every message with the policy's description and a newline."""
    detail = message.removeprefix(description).strip()
    return detail or description
