"""Quality control (stage 3): gate verdicts recorded as evidence, with the digests of their inputs.

A verdict names the gate, whether it passed, and each rule it evaluated (measurement, operator,
required value, actual value). The entries it read are cited by their chain hashes, so an auditor
can prove later which evidence a release decision rested on. The rules also become the quality
goals a certificate is watched against (see `certificates`).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mlops.governance.entry import Entry, Subject

if TYPE_CHECKING:
    from mlops.governance.client import AuditClient

Op = Literal[">=", ">", "<=", "<", "==", "!="]
_OPS: dict[Op, Callable[[Any, Any], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
VERDICT_PREFIX = "gate."


class Rule(BaseModel):
    """One evaluated requirement: `<measurement> <op> <required>`, with the actual value seen."""

    model_config = ConfigDict(extra="forbid")

    measurement: str
    op: Op
    required: float | int | str | bool
    actual: Any = None
    passed: bool | None = None
    evidence_seq: int | None = None


class Verdict(BaseModel):
    """What a gate decided; stored as the value of a `verdict` entry named `gate.<gate>`."""

    model_config = ConfigDict(extra="forbid")

    gate: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
    passed: bool
    rules: list[Rule] = Field(default_factory=list)


def as_op(text: str) -> Op | None:
    """`text` as one of the comparison operators, or None when it is none of them."""
    return next((op for op in _OPS if op == text), None)


def holds(op: str, actual: Any, required: Any) -> bool:
    """True when `actual op required`; an unknown op, or a missing, non-comparable or non-finite
    actual, fails."""
    known = as_op(op)
    if known is None or actual is None:
        return False
    if isinstance(actual, float) and not math.isfinite(actual):
        return False
    try:
        return bool(_OPS[known](actual, required))
    except TypeError:
        return False


def evaluate(
    gate: str, requirements: Iterable[tuple[str, Op, Any]], evidence: Iterable[Entry]
) -> tuple[Verdict, list[Entry]]:
    """Evaluate `(measurement, op, required)` against the newest matching evidence entries.

    Returns the verdict and the entries it used (to cite as inputs). A requirement without
    evidence fails: absence of proof is not proof.
    """
    latest: dict[str, Entry] = {}
    for entry in evidence:
        if entry.kind == "measurement":
            latest[entry.name] = entry
    rules, used = [], []
    for measurement, op, required in requirements:
        found = latest.get(measurement)
        actual = found.value if found else None
        rules.append(
            Rule(
                measurement=measurement, op=op, required=required, actual=actual,
                passed=holds(op, actual, required), evidence_seq=found.seq if found else None,
            )
        )  # fmt: skip
        if found:
            used.append(found)
    return Verdict(gate=gate, passed=all(r.passed for r in rules), rules=rules), used


def input_digests(inputs: Iterable[Entry], extra: dict[str, str] | None = None) -> dict[str, str]:
    """Artifact digests of a verdict: each input entry by its chain hash, plus e.g. the gate file."""
    digests = {f"evidence:{entry.seq}": f"sha256:{entry.hash}" for entry in inputs}
    digests.update(extra or {})
    return digests


def record_verdict(
    client: AuditClient,
    subject: Subject,
    verdict: Verdict,
    inputs: Iterable[Entry] = (),
    extra_digests: dict[str, str] | None = None,
    source: str = "gate",
) -> Entry:
    """Append a verdict entry citing its inputs; what the gates and `mlops audit gate` call."""
    return client.append(
        subject,
        VERDICT_PREFIX + verdict.gate,
        verdict.model_dump(mode="json"),
        None,
        source,
        input_digests(inputs, extra_digests),
        kind="verdict",
    )


def verdict_of(entry: Entry) -> Verdict | None:
    """The verdict stored in an entry, or None when it is not a (well-formed) verdict."""
    if entry.kind != "verdict" or not entry.name.startswith(VERDICT_PREFIX):
        return None
    try:
        return Verdict.model_validate(entry.value)
    except ValueError:
        return None
