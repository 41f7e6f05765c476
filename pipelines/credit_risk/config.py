"""The pipeline's configuration (`config.yaml`), validated at the edge into typed models."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from mlops.errors import BadInputError
from mlops.yamlio import load_yaml

CONFIG_PATH = Path(__file__).with_name("config.yaml")
Mode = Literal["int", "prod"]
MODES: tuple[str, ...] = ("int", "prod")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Split(_Strict):
    validation: float = Field(gt=0, lt=0.5)
    test: float = Field(gt=0, lt=0.5)


class Gates(_Strict):
    """Analytics gates: a candidate gets the `candidate` alias only when all of them hold."""

    min_roc_auc: float = Field(ge=0, le=1)
    min_gain_over_baseline: float = Field(ge=-1, le=1)
    max_regression_vs_champion: float = Field(ge=0, le=1)
    max_demographic_parity_difference: float = Field(ge=0, le=1)
    max_equalized_odds_difference: float = Field(ge=0, le=1)


class Candidate(_Strict):
    """One hyper-parameter set for the gradient-boosted trees."""

    learning_rate: float = Field(gt=0, le=1)
    max_iter: int = Field(ge=1, le=5000)
    max_depth: int = Field(ge=1, le=32)
    min_samples_leaf: int = Field(ge=1)


class ModeConfig(_Strict):
    sample_rows: int | None = Field(default=None, ge=100)
    source_rows: int = Field(ge=100)
    data_seed: int = Field(ge=0)
    seed: int = Field(ge=0)
    threads: int | None = Field(default=None, ge=1)
    split: Split
    search: list[Candidate] = Field(min_length=1)
    gates: Gates


class Drift(_Strict):
    bins: int = Field(ge=2, le=100)
    max_psi: float = Field(gt=0)


class Training(_Strict):
    """What the training task asks the cluster for. A model that needs a GPU says so here; a
    CPU model (the sample's gradient-boosted trees) must not, or on a fresh cluster it would wait
    for a GPU node to scale up for nothing."""

    gpus: int = Field(ge=0, le=8)


class PipelineConfig(_Strict):
    model_name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    experiment: str = Field(min_length=1)
    code_repository: str = Field(pattern=r"^(https://|git@|ssh://)\S+$")
    training: Training
    drift: Drift
    modes: dict[Mode, ModeConfig]

    @model_validator(mode="after")
    def _both_modes(self) -> PipelineConfig:
        missing = [m for m in MODES if m not in self.modes]
        if missing:
            raise ValueError(f"modes: missing {', '.join(missing)}")
        return self

    def mode(self, name: str) -> ModeConfig:
        if name not in self.modes:
            raise BadInputError(f"--mode: {name!r} is unknown; allowed: {', '.join(MODES)}")
        return self.modes[name]  # type: ignore[index]


def load_config(path: Path = CONFIG_PATH) -> PipelineConfig:
    """Read and validate the configuration; bad input names the file and the key."""
    data = load_yaml(path)
    try:
        return PipelineConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise BadInputError(f"{path}: {where}: {first['msg']}") from None
