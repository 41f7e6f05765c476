"""Evaluation of each rule kind into checks: actual value, required value, evidence, verdict.

A rule yields one or more checks (artifact completeness yields one per handover field). Missing
evidence fails its check: absence of proof is not proof. Only the newest entry of a name counts,
so a re-measurement supersedes an earlier one, and the entry's sequence number is cited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from mlops.gates import approvals
from mlops.gates import evidence_names as names
from mlops.gates.context import Context, Target
from mlops.gates.registry import ModelVersion
from mlops.gates.spec import (
    ApprovalsRule,
    ChampionRule,
    CompletenessRule,
    DataValidationRule,
    EquivalenceRule,
    FairnessRule,
    Gate,
    IncumbentRule,
    LoadTestRule,
    MetricRule,
    PriorGateRule,
    SoakRule,
    TrainingVerdictRule,
)
from mlops.governance.entry import Entry, Subject
from mlops.governance.quality import VERDICT_PREFIX, holds, verdict_of
from mlops.serving.digest import artifact_digest


class Check(BaseModel):
    """One line of a gate report."""

    model_config = ConfigDict(extra="forbid")

    rule: str
    kind: str
    name: str
    op: str
    required: float | int | str | bool
    actual: Any = None
    passed: bool
    evidence: str
    evidence_seq: int | None = None
    detail: str = ""


def newest(
    entries: list[Entry],
    name: str,
    environment: str | None = None,
    kinds: tuple[str, ...] = ("measurement",),
) -> Entry | None:
    """The newest entry named `name` of one of `kinds` (in `environment` when given)."""
    for entry in reversed(entries):
        if entry.kind not in kinds or entry.name != name:
            continue
        if environment is None or entry.subject.environment == environment:
            return entry
    return None


def cite(entry: Entry | None, what: str = "") -> str:
    if entry is None:
        return f"none: no {what} entry in the audit log" if what else "none"
    return (
        f"audit entry {entry.seq} ({entry.name}, {entry.source or 'unknown source'}, {entry.time})"
    )


def _measured(
    rule: Any, target: Target, ctx: Context, op: str, required: Any, name: str | None = None
) -> Check:
    measurement = name or rule.measurement
    entry = newest(ctx.entries(target.evidence_subject), measurement, rule.environment)
    actual = entry.value if entry else None
    where = f" in {rule.environment}" if rule.environment else ""
    return Check(
        rule=rule.id, kind=rule.kind, name=measurement, op=op, required=required, actual=actual,
        passed=holds(op, actual, required), evidence=cite(entry, measurement + where),
        evidence_seq=entry.seq if entry else None,
        detail="" if entry else f"no {measurement} evidence{where} for {target.label()}",
    )  # fmt: skip


def metric(rule: MetricRule, _gate: Gate, target: Target, ctx: Context) -> Iterator[Check]:
    yield _measured(rule, target, ctx, rule.op, rule.value)


def fairness(rule: FairnessRule, _gate: Gate, target: Target, ctx: Context) -> Iterator[Check]:
    yield _measured(rule, target, ctx, "<=", rule.max)


def load_test(rule: LoadTestRule, _gate: Gate, target: Target, ctx: Context) -> Iterator[Check]:
    yield _measured(rule, target, ctx, rule.op, rule.value)


def champion(rule: ChampionRule, gate: Gate, target: Target, ctx: Context) -> Iterator[Check]:
    registry = ctx.need_registry()
    champ = registry.version_by_alias(target.model or "", gate.champion_alias)
    op = ">=" if rule.higher_is_better else "<="
    if champ is None:
        check = _measured(rule, target, ctx, op, "no champion")
        check.required, check.op = "any value (no champion yet)", "exists"
        check.passed = check.actual is not None
        check.detail = check.detail or f"no version holds alias {gate.champion_alias}"
        yield check
        return
    champ_entry = newest(
        ctx.entries(Subject(model=target.model, version=champ)), rule.measurement, rule.environment
    )
    if champ_entry is None or not isinstance(champ_entry.value, int | float):
        check = _measured(rule, target, ctx, op, f"champion v{champ} value")
        check.passed = False
        check.detail = f"the champion v{champ} has no numeric {rule.measurement} evidence"
        yield check
        return
    sign = -1 if rule.higher_is_better else 1
    required = round(float(champ_entry.value) + sign * rule.max_regression, 12)
    check = _measured(rule, target, ctx, op, required)
    check.evidence += f"; champion v{champ} ({gate.champion_alias}): {cite(champ_entry)}"
    check.detail = check.detail or (
        f"champion v{champ} {rule.measurement}={champ_entry.value}, "
        f"max regression {rule.max_regression}"
    )
    yield check


def data_validation(
    rule: DataValidationRule, _gate: Gate, target: Target, ctx: Context
) -> Iterator[Check]:
    """The validation verdict passed, and the data it validated is the handed-over data."""
    entries = ctx.entries(target.evidence_subject)
    entry = newest(entries, rule.measurement, rule.environment, ("measurement", "verdict"))
    value = entry.value if entry else None
    actual = value.get("passed") if isinstance(value, dict) else value
    yield Check(
        rule=rule.id, kind=rule.kind, name=rule.measurement, op="==", required=True,
        actual=actual, passed=actual is True, evidence=cite(entry, rule.measurement),
        evidence_seq=entry.seq if entry else None,
        detail="" if actual is True else _validation_detail(value, rule.measurement),
    )  # fmt: skip
    if target.kind != "model" or ctx.registry is None:
        return
    ingest = newest(entries, rule.data_digest_from, rule.environment)
    version = ctx.registry.model_version(target.model or "", target.version or "")
    handed, tag = names.handover_value(version.tags if version else {}, "data_digest")
    validated = ingest.artifacts.get(names.ARTIFACT_DATA) if ingest else None
    yield Check(
        rule=rule.id, kind=rule.kind, name="validated data digest", op="==",
        required=handed or "handover data_digest", actual=validated,
        passed=validated is not None and validated == handed,
        evidence=f"{cite(ingest, rule.data_digest_from)} artifacts.{names.ARTIFACT_DATA}; "
        f"MLflow tag {tag}",
        evidence_seq=ingest.seq if ingest else None,
        detail="" if validated == handed and validated else
        "the validated data is not the handed-over data",
    )  # fmt: skip


def _validation_detail(value: Any, name: str) -> str:
    if value is None:
        return f"no {name} evidence"
    findings = value.get("findings") if isinstance(value, dict) else None
    if findings:
        return "data validation failed: " + "; ".join(
            f"{f.get('column')}: {f.get('rule')}: {f.get('detail')}" for f in findings[:5]
        )
    return "data validation did not pass"


def _version(target: Target, ctx: Context) -> ModelVersion | None:
    return ctx.need_registry().model_version(target.model or "", target.version or "")


def completeness(
    rule: CompletenessRule, _gate: Gate, target: Target, ctx: Context
) -> Iterator[Check]:
    version = _version(target, ctx)
    where = f"MLflow model version {target.model}/{target.version}"
    if version is None:
        yield Check(
            rule=rule.id, kind=rule.kind, name="registry.model_version", op="exists",
            required="registered", actual=None, passed=False, evidence=f"none: {where}",
            detail="the version is not registered in MLflow",
        )  # fmt: skip
        return
    for field in rule.fields:
        value, tag = names.handover_value(version.tags, field)
        yield Check(
            rule=rule.id, kind=rule.kind, name=tag, op="present", required="non-empty",
            actual=value, passed=bool(value), evidence=f"{where} tag {tag}",
            detail="" if value else f"handover field {field} is missing",
        )  # fmt: skip
    if rule.verify_artifact:
        recorded, _ = names.handover_value(version.tags, "model_digest")
        actual, detail = _artifact_digest(version, ctx)
        yield Check(
            rule=rule.id, kind=rule.kind, name="artifact digest", op="==",
            required=recorded or "handover model_digest", actual=actual,
            passed=actual is not None and actual == recorded,
            evidence=f"recomputed from {version.source}",
            detail=detail or ("" if actual == recorded else "artifact differs from its digest"),
        )  # fmt: skip


def _artifact_digest(version: ModelVersion, ctx: Context) -> tuple[str | None, str]:
    try:
        return artifact_digest(ctx.need_registry().local_artifact(version.source)), ""
    except Exception as error:  # any unreadable artifact fails the check, with the reason
        return None, f"artifact unreadable: {error}"


def equivalence(
    rule: EquivalenceRule, _gate: Gate, target: Target, ctx: Context
) -> Iterator[Check]:
    version = _version(target, ctx)
    exported, tag = names.handover_value(version.tags if version else {}, "model_digest")
    entry = newest(
        ctx.entries(target.evidence_subject),
        rule.evaluated_evidence,
        None,
        ("document", "measurement"),
    )
    evaluated = entry.artifacts.get(names.ARTIFACT_MODEL) if entry else None
    yield Check(
        rule=rule.id, kind=rule.kind, name="evaluated model digest", op="==",
        required=exported or "handover model_digest", actual=evaluated,
        passed=evaluated is not None and evaluated == exported,
        evidence=f"{cite(entry, rule.evaluated_evidence)} artifacts.{names.ARTIFACT_MODEL}; "
        f"MLflow tag {tag}",
        evidence_seq=entry.seq if entry else None,
        detail="" if evaluated == exported and evaluated else
        "the exported model is not the one that was evaluated",
    )  # fmt: skip
    if rule.measurement:
        yield _measured(rule, target, ctx, "<=", rule.max)


def approvals_rule(
    rule: ApprovalsRule, _gate: Gate, _target: Target, ctx: Context
) -> Iterator[Check]:
    problems = approvals.enforcement_problems(ctx.root, rule.path, rule.role)
    evidence = f"{approvals.CODEOWNERS}, {approvals.BRANCH_PROTECTION}"
    required = f">= {rule.count} approvals by {rule.role}"
    if problems:
        yield Check(
            rule=rule.id, kind=rule.kind, name="approvals", op="enforced", required=required,
            actual="not enforced", passed=False, evidence=evidence, detail="; ".join(problems),
        )  # fmt: skip
        return
    if ctx.reviews is None:
        yield Check(
            rule=rule.id, kind=rule.kind, name="approvals", op="enforced", required=required,
            actual="enforced at merge", passed=True, evidence=evidence,
            detail="pending: counted on the pull request by the promotion workflow",
        )  # fmt: skip
        return
    approved = approvals.approvers(ctx.reviews, rule.role)
    yield Check(
        rule=rule.id, kind=rule.kind, name="approvals", op=">=", required=rule.count,
        actual=len(approved), passed=len(approved) >= rule.count,
        evidence=f"pull request reviews ({', '.join(approved) or 'no approvals'}); {evidence}",
    )  # fmt: skip


def soak(rule: SoakRule, _gate: Gate, target: Target, ctx: Context) -> Iterator[Check]:
    entry = newest(
        ctx.entries(target.evidence_subject), names.PROMOTION_FINALIZED, rule.environment
    )
    hours = None
    if entry is not None:
        since = datetime.fromisoformat(entry.time.replace("Z", "+00:00"))
        hours = round((ctx.now - since).total_seconds() / 3600, 2)
    yield Check(
        rule=rule.id, kind=rule.kind, name=f"soak_time.{rule.environment}.hours", op=">=",
        required=rule.hours, actual=hours, passed=holds(">=", hours, rule.hours),
        evidence=cite(entry, f"{names.PROMOTION_FINALIZED} in {rule.environment}"),
        evidence_seq=entry.seq if entry else None,
        detail="" if entry else f"never finalized in {rule.environment}",
    )  # fmt: skip


def vs_incumbent(rule: IncumbentRule, _gate: Gate, target: Target, ctx: Context) -> Iterator[Check]:
    from mlops.gates.evaluate import descriptor_path
    from mlops.gitops.descriptor import load_release

    environment = rule.environment or target.environment
    release = load_release(descriptor_path(ctx.root, target.environment, target.model or ""))
    op = ">=" if rule.higher_is_better else "<="
    incumbent = str(release.incumbent_version) if release.incumbent_version else None
    fresh = [
        e for e in ctx.entries(Subject(model=target.model, version=incumbent))
        if incumbent and _age_hours(e, ctx) <= rule.max_age_hours
    ]  # fmt: skip
    theirs = newest(fresh, rule.measurement, environment)
    mine = newest(
        [
            e
            for e in ctx.entries(target.evidence_subject)
            if _age_hours(e, ctx) <= rule.max_age_hours
        ],
        rule.measurement,
        environment,
    )
    window = f"in {environment} within {rule.max_age_hours:g} h"
    if theirs is None or not isinstance(theirs.value, int | float):
        required: float | str = f"incumbent v{incumbent} value"
        detail = f"no numeric {rule.measurement} of the incumbent v{incumbent} {window}"
    else:
        sign = -1 if rule.higher_is_better else 1
        required = round(float(theirs.value) + sign * rule.max_regression, 12)
        detail = "" if mine else f"no {rule.measurement} of {target.label()} {window}"
    actual = mine.value if mine else None
    yield Check(
        rule=rule.id, kind=rule.kind, name=rule.measurement, op=op, required=required,
        actual=actual, passed=theirs is not None and holds(op, actual, required),
        evidence=f"{cite(mine, rule.measurement + ' ' + window)}; incumbent v{incumbent}: "
        f"{cite(theirs, rule.measurement + ' ' + window)}",
        evidence_seq=mine.seq if mine else None, detail=detail,
    )  # fmt: skip


def _age_hours(entry: Entry, ctx: Context) -> float:
    recorded = datetime.fromisoformat(entry.time.replace("Z", "+00:00"))
    return (ctx.now - recorded).total_seconds() / 3600


def prior_gate(rule: PriorGateRule, _gate: Gate, target: Target, ctx: Context) -> Iterator[Check]:
    name = VERDICT_PREFIX + rule.gate
    found = [e for e in ctx.entries(target.evidence_subject) if e.name == name]
    entry = found[-1] if found else None
    verdict = verdict_of(entry) if entry else None
    yield Check(
        rule=rule.id, kind=rule.kind, name=name, op="==", required=True,
        actual=verdict.passed if verdict else None, passed=bool(verdict and verdict.passed),
        evidence=cite(entry, name), evidence_seq=entry.seq if entry else None,
        detail="" if verdict else f"gate {rule.gate} never ran for {target.label()}",
    )  # fmt: skip


def training_verdict(
    rule: TrainingVerdictRule, _gate: Gate, target: Target, ctx: Context
) -> Iterator[Check]:
    entries = ctx.entries(target.evidence_subject)
    entry = newest(entries, rule.measurement, rule.environment, ("verdict",))
    value = entry.value if entry else None
    actual = value.get("passed") if isinstance(value, dict) else None
    if entry is not None:
        detail = "" if actual is True else f"the {rule.environment}-mode training gates failed"
    else:
        other = newest(entries, rule.measurement, None, ("verdict",))
        detail = (
            f"trained in {other.subject.environment} mode only, never in {rule.environment} mode"
            if other
            else f"no {rule.environment}-mode training verdict for {target.label()}"
        )
    name = f"{rule.measurement} in {rule.environment}"
    yield Check(
        rule=rule.id, kind=rule.kind, name=name, op="==", required=True, actual=actual,
        passed=actual is True, evidence=cite(entry, name),
        evidence_seq=entry.seq if entry else None, detail=detail,
    )  # fmt: skip


EVALUATORS: dict[str, Callable[..., Iterator[Check]]] = {
    "metric": metric,
    "metric_vs_champion": champion,
    "fairness": fairness,
    "data_validation": data_validation,
    "load_test": load_test,
    "artifact_completeness": completeness,
    "equivalence": equivalence,
    "approvals": approvals_rule,
    "soak_time": soak,
    "prior_gate": prior_gate,
    "vs_incumbent": vs_incumbent,
    "training_verdict": training_verdict,
}
