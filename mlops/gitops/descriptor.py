"""The model release descriptor: one small file per model and environment that a promotion pull
request edits (`gitops/envs/<env>/models/<model>.yaml`).

It is the handover artifact of Zwiesler 2.3 (code, data, parameters, model, environment
specification, documentation, plus the gate verdict that let it through) and the serving
settings (runtime, resources, GPU, autoscaling, deployment strategy). The layout is flat on
purpose: a promotion edits single scalar keys with a round-trip YAML editor and keeps comments.
"""

from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlops.errors import BadInputError
from mlops.gitops.runtimes import RUNTIMES
from mlops.yamlio import load_yaml

Digest = Annotated[str, Field(pattern=r"^sha256:[a-f0-9]{64}$")]
# `file://` serves the embedded platform (`mlops demo`); checkov CKV_MLOPS_2 refuses it in gitops/.
Uri = Annotated[str, Field(pattern=r"^(s3|gs|https|pvc|oci|file)://\S+$", max_length=1024)]
DnsLabel = Annotated[str, Field(pattern=r"^[a-z]([-a-z0-9]*[a-z0-9])?$", max_length=40)]
Quantity = Annotated[str, Field(pattern=r"^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$")]
Strategy = Literal["direct", "canary", "shadow", "blue-green"]
Color = Literal["blue", "green"]

STRATEGY_KEYS: dict[str, tuple[str, ...]] = {
    "canary_traffic_percent": ("canary",),
    "canary_steps": ("canary",),
    "shadow_mirror_percent": ("shadow",),
    "release_color": ("blue-green",),
    "active_color": ("blue-green",),
}
INCUMBENT_KEYS = ("incumbent_version", "incumbent_storage_uri", "incumbent_model_digest")
BATCH_KEYS = ("batch_schedule", "batch_claim", "batch_input")
NEEDS_INCUMBENT = ("shadow", "blue-green")


class ModelRelease(BaseModel):
    """One model released to one environment. Unknown keys are errors, never ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="Model release descriptor")

    # What is released: the handover artifact (Zwiesler 2.3).
    model: DnsLabel = Field(description="Model name; names the InferenceService(s).")
    registry_model: str = Field(
        min_length=1, max_length=256, description="Registered model name in MLflow."
    )
    registry_version: int = Field(ge=1, description="Registered model version in MLflow.")
    storage_uri: Uri = Field(description="Where the serving runtime loads the model from.")
    model_digest: Digest = Field(description="sha256 of the model artifact at storage_uri.")
    code_repository: Annotated[str, Field(pattern=r"^(https://|git@|ssh://)\S+$")] = Field(
        description="Repository of the training code."
    )
    code_commit: Annotated[str, Field(pattern=r"^[a-f0-9]{40}$")] = Field(
        description="Commit of the training code (40 hex digits)."
    )
    data_reference: Uri = Field(description="Versioned location of the training/validation data.")
    data_digest: Digest = Field(description="sha256 of the training/validation data snapshot.")
    parameters_reference: Uri = Field(description="Where the model's parameter configuration is.")
    environment_spec: Uri = Field(description="Environment specification (pinned libraries).")
    environment_digest: Digest = Field(description="sha256 of the environment specification.")
    model_card: Annotated[str, Field(pattern=r"^(https|s3|file)://\S+$")] = Field(
        description="Model card (documentation): a web page, or its copy beside the model."
    )
    gate_report: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$")] = Field(
        description="Id of the gate verdict that admitted this release to the environment."
    )

    # How it is served.
    runtime: str = Field(description="KServe ServingRuntime; allowed: " + ", ".join(RUNTIMES))
    model_format: str = Field(description="KServe modelFormat name, e.g. mlflow.")
    protocol: Literal["v1", "v2"] = "v2"
    cpu_request: Quantity = "500m"
    cpu_limit: Quantity = "1"
    memory_request: Quantity = "1Gi"
    memory_limit: Quantity = "2Gi"
    gpu: int = Field(default=0, ge=0, le=8, description="nvidia.com/gpu per replica.")
    min_replicas: int = Field(default=1, ge=0, le=100)
    max_replicas: int = Field(default=3, ge=1, le=100)
    scale_metric: Literal["cpu", "memory", "concurrency", "rps"] = "cpu"
    scale_target: int = Field(default=70, ge=1, le=100_000)
    max_unavailable: int = Field(default=1, ge=1, description="PodDisruptionBudget.")
    latency_p95_seconds: float = Field(default=0.5, gt=0, le=60, description="Alert threshold.")
    error_rate_percent: float = Field(default=1.0, gt=0, le=100, description="Alert threshold.")

    # How it is rolled out.
    strategy: Strategy = "direct"
    canary_traffic_percent: int | None = Field(default=None, ge=0, le=100)
    canary_steps: list[Annotated[int, Field(ge=1, le=100)]] | None = Field(
        default=None,
        min_length=1,
        max_length=10,
        description="The canary's traffic shares, one step per pull request, ascending, "
        "ending at 100 (`mlops rollout advance` moves to the next one).",
    )
    shadow_mirror_percent: int | None = Field(default=None, ge=1, le=100)
    release_color: Color | None = None
    active_color: Color | None = None
    incumbent_version: int | None = Field(default=None, ge=1)
    incumbent_storage_uri: Uri | None = None
    incumbent_model_digest: Digest | None = None
    # Provenance of the incumbent, carried over from its own release so that every model that
    # serves traffic names the commit it was built from and the gate report that admitted it.
    incumbent_code_commit: str | None = Field(default=None, pattern=r"^[0-9a-f]{40}$")
    incumbent_gate_report: str | None = Field(default=None, min_length=1, max_length=200)
    # Batch inference (Zwiesler 2.3): score a file on a volume claim on a schedule with this
    # release (a CronJob running `mlops score`); all three or none.
    batch_schedule: str | None = Field(default=None, pattern=r"^(\S+ ){4}\S+$")
    batch_claim: DnsLabel | None = None
    batch_input: str | None = Field(default=None, pattern=r"^[A-Za-z0-9._/-]+$", max_length=255)
    batch_claim_size: Quantity = Field(
        default="20Gi",
        description="Size of the batch claim the release creates (inputs and scored outputs).",
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        profile = RUNTIMES.get(self.runtime)
        if profile is None:
            raise ValueError(f"runtime: unknown '{self.runtime}'; allowed: {', '.join(RUNTIMES)}")
        if self.model_format not in profile.model_formats:
            raise ValueError(
                f"model_format: '{self.model_format}' is not served by {self.runtime}; "
                f"allowed: {', '.join(profile.model_formats)}"
            )
        if self.protocol not in profile.protocols:
            raise ValueError(f"protocol: {self.runtime} speaks {', '.join(profile.protocols)} only")
        if self.max_replicas < self.min_replicas:
            raise ValueError(
                f"max_replicas ({self.max_replicas}) is below min_replicas ({self.min_replicas})"
            )
        for key, strategies in STRATEGY_KEYS.items():
            if getattr(self, key) is not None and self.strategy not in strategies:
                raise ValueError(f"{key}: only used with strategy {' or '.join(strategies)}")
        if self.strategy == "canary" and self.canary_traffic_percent is None:
            raise ValueError("canary_traffic_percent: required by strategy canary (0-100)")
        self._check_canary_steps()
        if self.strategy == "blue-green" and None in (self.release_color, self.active_color):
            raise ValueError("release_color and active_color: required by strategy blue-green")
        batch = [key for key in BATCH_KEYS if getattr(self, key) is not None]
        if batch and len(batch) != len(BATCH_KEYS):
            raise ValueError(f"{', '.join(BATCH_KEYS)}: set all three or none")
        incumbent = [key for key in INCUMBENT_KEYS if getattr(self, key) is not None]
        if incumbent and len(incumbent) != len(INCUMBENT_KEYS):
            raise ValueError(f"{', '.join(INCUMBENT_KEYS)}: set all three or none")
        if self.strategy in NEEDS_INCUMBENT and not incumbent:
            raise ValueError(
                f"{', '.join(INCUMBENT_KEYS)}: required by strategy {self.strategy} "
                "(the model that keeps serving beside the release)"
            )
        return self

    def _check_canary_steps(self) -> None:
        """The descriptor says which share the canary has now, and it is one of its steps."""
        steps = self.canary_steps
        if steps is None:
            return
        if steps != sorted(set(steps)) or steps[-1] != 100:
            raise ValueError(f"canary_steps: {steps}; allowed: ascending, ending at 100")
        if self.canary_traffic_percent not in steps:
            raise ValueError(
                f"canary_traffic_percent: {self.canary_traffic_percent} is not one of "
                f"canary_steps {steps}"
            )


def parse_release(raw: Any, source: str) -> ModelRelease:
    """Validate one descriptor document; BadInputError names the file and the key."""
    if not isinstance(raw, dict):
        raise BadInputError(f"{source}: must be a mapping of descriptor keys")
    try:
        return ModelRelease.model_validate(raw)
    except ValidationError as error:
        raise BadInputError(f"{source}: " + "; ".join(map(_describe, error.errors()))) from None


def load_release(path: Path) -> ModelRelease:
    """Read a descriptor through the strict YAML reader; its file name must be `<model>.yaml`."""
    release = parse_release(load_yaml(path), str(path))
    if path.name != f"{release.model}.yaml":
        raise BadInputError(f"{path}: model: '{release.model}' must match the file name")
    return release


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of the descriptor (editors and reviewers use it)."""
    schema = ModelRelease.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema


def _describe(item: Any) -> str:
    location = ".".join(str(part) for part in item["loc"])
    if item["type"] == "extra_forbidden":
        return f"{location}: unknown key; allowed: {', '.join(ModelRelease.model_fields)}"
    if item["type"] == "missing":
        return f"{location}: required key is missing"
    message = item["msg"].removeprefix("Value error, ")
    if not location:
        return message
    return f"{location}: {message} (got {item.get('input')!r})"
