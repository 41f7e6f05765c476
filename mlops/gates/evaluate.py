"""Evaluate one gate for one subject, and record the verdict with the digests of its inputs.

The same inputs give the same verdict on a laptop and in CI: evaluation reads only the gate
file, the audit log, the registry, the descriptors in the repository and the clock (soak time).
The verdict goes into the audit log through `governance.quality` as `gate.<name>`, citing every
evidence entry it used by chain hash, plus the gate file and the JSON report by sha256.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from mlops.errors import BadInputError
from mlops.gates.context import Context, Target
from mlops.gates.report import Report, build_report
from mlops.gates.rules import EVALUATORS, Check
from mlops.gates.spec import Gate, file_digest
from mlops.gitops.descriptor import load_release
from mlops.governance.entry import Entry
from mlops.governance.quality import Rule, Verdict, as_op, record_verdict


@dataclass
class GateResult:
    gate: Gate
    gate_path: Path
    target: Target
    checks: list[Check]
    report: Report
    entry: Entry | None = None
    inputs: list[Entry] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def descriptor_path(root: Path, env: str, model: str) -> Path:
    return root / "gitops" / "envs" / env / "models" / f"{model}.yaml"


def released_version(root: Path, env: str, model: str) -> str | None:
    """The registry version a descriptor in the working tree releases, or None."""
    path = descriptor_path(root, env, model)
    return str(load_release(path).registry_version) if path.is_file() else None


def order_check(gate: Gate, target: Target, root: Path) -> Check | None:
    """Environments are not skipped: the version must be live where the gate starts from."""
    if gate.subject != "model" or gate.requires_in is None:
        return None
    live = released_version(root, gate.requires_in, target.model or "")
    path = descriptor_path(root, gate.requires_in, target.model or "").relative_to(root)
    return Check(
        rule="environment-order", kind="environment_order",
        name=f"released_in.{gate.requires_in}", op="==", required=str(target.version),
        actual=live, passed=live == str(target.version), evidence=f"{path.as_posix()} registry_version",
        detail="" if live == str(target.version) else
        f"{target.environment} comes after {gate.requires_in}, which releases "
        f"{'v' + live if live else 'nothing'}: promote v{target.version} to {gate.requires_in} first",
    )  # fmt: skip


def evaluate_gate(
    gate: Gate, gate_path: Path, target: Target, ctx: Context, extra: list[Check] | None = None
) -> GateResult:
    """Evaluate every rule (plus `extra` checks, e.g. a descriptor's); nothing is written."""
    if gate.subject != target.kind:
        raise BadInputError(f"{gate_path}: gate is for a {gate.subject}, not a {target.kind}")
    checks: list[Check] = []
    first = order_check(gate, target, ctx.root)
    if first is not None:
        checks.append(first)
    for rule in gate.rules:
        checks.extend(EVALUATORS[rule.kind](rule, gate, target, ctx))
    checks.extend(extra or [])
    cited = {c.evidence_seq for c in checks if c.evidence_seq is not None}
    seen = ctx.seen()
    inputs = [seen[seq] for seq in sorted(cited) if seq in seen]
    report = build_report(gate, gate_path, file_digest(gate_path), target, checks, ctx.now)
    return GateResult(gate, gate_path, target, checks, report, inputs=inputs)


def verdict(result: GateResult) -> Verdict:
    """The result in the governance verdict format (what certificates watch)."""
    rules = []
    for check in result.checks:
        op = as_op(check.op)
        rules.append(
            Rule(
                measurement=check.name, op=op or "==",
                required=check.required if op else f"{check.op} {check.required}",
                actual=check.actual, passed=check.passed, evidence_seq=check.evidence_seq,
            )
        )  # fmt: skip
    return Verdict(gate=result.gate.gate, passed=result.passed, rules=rules)


def record(result: GateResult, ctx: Context, source: str) -> Entry:
    """Append the verdict entry (kind verdict, `gate.<name>`), citing inputs, gate and report."""
    result.entry = record_verdict(
        ctx.audit,
        result.target.subject,
        verdict(result),
        result.inputs,
        {"gate-file": result.report.gate_digest, "report": result.report.digest},
        source=source,
    )
    return result.entry
