"""The gate file: one transition, the evidence it needs, validated before anything is evaluated.

A gate file lives in `policies/gates/<gate>.yaml` and is checked against the pydantic model
below (its JSON Schema is published beside the files as `gate.schema.json`). Unknown keys are
errors, so a misspelt threshold can never be silently ignored.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from mlops.errors import BadInputError
from mlops.gates import evidence_names as names
from mlops.governance.quality import Op
from mlops.yamlio import load_yaml

GATES_DIR = "policies/gates"
SCHEMA_FILE = "gate.schema.json"
MODEL_ENVS = ("dev", "int", "prod")
CODE_ENVS = ("analytics-int", "analytics-prod")
EvidenceName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:/@+-]{0,255}$")]
RuleId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]
EnvName = Literal["dev", "int", "prod", "analytics-int", "analytics-prod"]


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: RuleId = Field(description="Unique within the gate; names the rule in reports.")
    description: str = Field(default="", max_length=500)


class _Measured(_Rule):
    measurement: EvidenceName = Field(description="Audit-log entry name of the evidence.")
    environment: str | None = Field(
        default=None, description="Only evidence recorded in this environment counts."
    )


class MetricRule(_Measured):
    """`measurement op value`, absolute."""

    kind: Literal["metric"]
    op: Op
    value: float | int | bool | str


class ChampionRule(_Measured):
    """Not worse than the version holding the champion alias by more than `max_regression`."""

    kind: Literal["metric_vs_champion"]
    higher_is_better: bool = True
    max_regression: float = Field(ge=0)


class FairnessRule(_Measured):
    """A disparity measure (e.g. demographic parity difference) within `max`."""

    kind: Literal["fairness"]
    max: float = Field(ge=0)


class DataValidationRule(_Measured):
    """The data validation passed, on the data the handover artifact names (digests match)."""

    kind: Literal["data_validation"]
    measurement: EvidenceName = names.DATA_VALIDATION
    data_digest_from: EvidenceName = Field(
        default=names.DATA_INGESTED, description="Entry whose artifacts.data is the validated data."
    )


class LoadTestRule(_Measured):
    """A load-test SLO: p95 latency and error rate at most, throughput at least."""

    kind: Literal["load_test"]
    op: Literal["<=", ">="]
    value: float


class CompletenessRule(_Rule):
    """Every handover field is registered, and the recorded digests match the artifact."""

    kind: Literal["artifact_completeness"]
    fields: tuple[str, ...] = names.HANDOVER_FIELDS
    verify_artifact: bool = Field(
        default=True, description="Recompute the model digest from the registered artifact."
    )

    @model_validator(mode="after")
    def _known(self) -> CompletenessRule:
        unknown = sorted(set(self.fields) - set(names.HANDOVER_FIELDS))
        if unknown:
            raise ValueError(
                f"unknown handover fields {unknown}; allowed: {', '.join(names.HANDOVER_FIELDS)}"
            )
        return self


class EquivalenceRule(_Rule):
    """The exported model is the evaluated one: same digest, predictions within tolerance."""

    kind: Literal["equivalence"]
    evaluated_evidence: EvidenceName = Field(
        default=names.HANDOVER_DOCUMENT, description="Entry whose artifacts.model was evaluated."
    )
    measurement: EvidenceName | None = names.EQUIVALENCE_MAX_ABS_DIFF
    max: float = Field(default=1e-6, ge=0)
    environment: str | None = None


class ApprovalsRule(_Rule):
    """Reviews by an owning role, enforced by CODEOWNERS and branch protection at merge."""

    kind: Literal["approvals"]
    count: int = Field(ge=1, le=10)
    role: Annotated[str, Field(pattern=r"^@[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?$")]
    path: str = Field(min_length=1, description="Repository path the approval guards.")


class SoakRule(_Rule):
    """The version has been live in `environment` for at least `hours`."""

    kind: Literal["soak_time"]
    environment: Literal["dev", "int"]
    hours: float = Field(ge=0)


class IncumbentRule(_Measured):
    """A rollout step: the release's live measurement not worse than the incumbent's (the
    version it shares traffic with, from the descriptor) by more than `max_regression`; both
    measured within the last `max_age_hours`, so evidence from an earlier step does not count."""

    kind: Literal["vs_incumbent"]
    higher_is_better: bool = False
    max_regression: float = Field(ge=0)
    max_age_hours: float = Field(default=24, gt=0)


class PriorGateRule(_Rule):
    """The newest verdict of an earlier gate for the same subject passed."""

    kind: Literal["prior_gate"]
    gate: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")]


class TrainingVerdictRule(_Rule):
    """The training pipeline's own analytics gates passed in `environment` (prod: trained on the
    full data with the hyper-parameter search); a model trained only in int mode on a sub-sample
    fails it, however good its metrics look."""

    kind: Literal["training_verdict"]
    measurement: EvidenceName = Field(
        default=names.ANALYTICS_VERDICT, description="Audit-log verdict the pipeline writes."
    )
    environment: str = Field(default="prod", description="The mode the model must be trained in.")


GateRule = Annotated[
    MetricRule
    | ChampionRule
    | FairnessRule
    | DataValidationRule
    | LoadTestRule
    | CompletenessRule
    | EquivalenceRule
    | ApprovalsRule
    | SoakRule
    | IncumbentRule
    | PriorGateRule
    | TrainingVerdictRule,
    Field(discriminator="kind"),
]


class Gate(BaseModel):
    """One transition between environments and the rules that admit a subject to it."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Audit gate")

    gate: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")] = Field(
        description="Gate name; the verdict is recorded as `gate.<name>`; equals the file name."
    )
    description: str = Field(default="", max_length=2000)
    subject: Literal["model", "code"]
    source: str = Field(description="Where the subject comes from: registry or an environment.")
    to: EnvName = Field(description="The environment this gate admits to.")
    step: Literal["canary", "blue-green"] | None = Field(
        default=None,
        description="A rollout-step gate (`mlops advance`) for this strategy; none: a promotion.",
    )
    requires_in: Literal["dev", "int"] | None = Field(
        default=None, description="The model version must currently be released there."
    )
    champion_alias: str = Field(
        default=names.CHAMPION_ALIAS, description="MLflow alias of the current champion."
    )
    rules: list[GateRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Gate:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"rules: duplicate id {', '.join(duplicates)}")
        allowed = MODEL_ENVS if self.subject == "model" else CODE_ENVS
        if self.to not in allowed:
            raise ValueError(f"to: '{self.to}' for a {self.subject} gate; allowed: {allowed}")
        if self.subject == "code" and (self.requires_in is not None or self.step is not None):
            raise ValueError("requires_in, step: only for model gates")
        model_only = (
            "artifact_completeness",
            "equivalence",
            "metric_vs_champion",
            "soak_time",
            "training_verdict",
            "vs_incumbent",
        )
        for rule in self.rules:
            if self.subject == "code" and rule.kind in model_only:
                raise ValueError(f"rules.{rule.id}: kind {rule.kind} needs a model subject")
        return self


def load_gate(path: Path) -> Gate:
    """Read and validate one gate file; BadInputError names the file and the key."""
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise BadInputError(f"{path}: must be a mapping with gate, subject, to, rules")
    try:
        gate = Gate.model_validate(raw)
    except ValidationError as error:
        raise BadInputError(f"{path}: " + "; ".join(map(_describe, error.errors()))) from None
    if path.stem != gate.gate:
        raise BadInputError(f"{path}: gate: '{gate.gate}' must match the file name")
    return gate


def file_digest(path: Path) -> str:
    """sha256 of the gate file bytes: cited by every verdict, so the rule set is provable."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def load_all(root: Path) -> dict[str, tuple[Path, Gate]]:
    """Every gate file under `<root>/policies/gates/`, by gate name."""
    directory = root / GATES_DIR
    if not directory.is_dir():
        raise BadInputError(f"{directory}: no gate directory; allowed: a repository root")
    gates: dict[str, tuple[Path, Gate]] = {}
    for path in sorted(directory.glob("*.yaml")):
        gate = load_gate(path)
        gates[gate.gate] = (path, gate)
    return gates


def gate_for(root: Path, subject: str, to: str, step: str | None = None) -> tuple[Path, Gate]:
    """The one gate that admits a subject kind to an environment (or, with `step`, that lets a
    rollout of that strategy take its next step there)."""
    found = [
        item
        for item in load_all(root).values()
        if item[1].subject == subject and item[1].step == step
    ]
    matches = [item for item in found if item[1].to == to]
    if len(matches) != 1:
        allowed = ", ".join(sorted({gate.to for _, gate in found})) or "none"
        what = "no gate" if not matches else f"{len(matches)} gates"
        kind = f"{step} rollout steps of {subject}" if step else subject
        raise BadInputError(f"--to: {what} for {kind} to '{to}' in {GATES_DIR}; allowed: {allowed}")
    return matches[0]


def json_schema() -> dict[str, Any]:
    """JSON Schema of a gate file (editors and CI validate against the committed copy)."""
    schema = TypeAdapter(Gate).json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def schema_text() -> str:
    return json.dumps(json_schema(), indent=2, sort_keys=True) + "\n"


def _describe(item: Any) -> str:
    location = ".".join(str(part) for part in item["loc"])
    if item["type"] == "extra_forbidden":
        return f"{location}: unknown key"
    if item["type"] == "missing":
        return f"{location}: required key is missing"
    if item["type"] == "union_tag_invalid":
        return f"{location}: unknown rule kind; allowed: {item['ctx']['expected_tags']}"
    message = item["msg"].removeprefix("Value error, ")
    return f"{location}: {message} (got {item.get('input')!r})" if location else message
