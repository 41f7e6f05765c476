"""Reading and validating stack files before any resource is declared.

A stack file is `stacks/Pulumi.<stack>.yaml`; the whole platform configuration sits under the
one key `mlops-platform:platform`, so `pulumi config` and the offline plan read the same data.
"""

import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from mlops.config.model import StackConfig
from mlops.errors import BadInputError
from mlops.yamlio import load_yaml

PROJECT = "mlops-platform"
CONFIG_KEY = f"{PROJECT}:platform"
STACK_FILE_KEYS = {"config", "secretsprovider", "encryptedkey", "encryptionsalt"}
SECRET_KEYS = {"oidc_client_secret"}  # set with `pulumi config set --secret`, read by __main__.py
ALLOWED_CONFIG_KEYS = {CONFIG_KEY} | {f"{PROJECT}:{key}" for key in SECRET_KEYS}


def stack_file(stacks_dir: Path, stack: str) -> Path:
    return stacks_dir / f"Pulumi.{stack}.yaml"


def available_stacks(stacks_dir: Path) -> list[str]:
    return sorted(
        p.name.removeprefix("Pulumi.").removesuffix(".yaml")
        for p in stacks_dir.glob("Pulumi.*.yaml")
    )


def load_stack(stacks_dir: Path, stack: str) -> StackConfig:
    """Load and validate one stack, or raise BadInputError naming the file, key and what is allowed."""
    path = stack_file(stacks_dir, stack)
    if not path.is_file():
        allowed = ", ".join(available_stacks(stacks_dir)) or "none found"
        raise BadInputError(
            f"unknown stack '{stack}'; allowed: {allowed} (files {stacks_dir}/Pulumi.<stack>.yaml)"
        )
    document = load_yaml(path)
    if not isinstance(document, dict):
        raise BadInputError(f"{path}: must be a mapping with a 'config' key")
    _reject_unknown(path, "top level", set(document), STACK_FILE_KEYS)
    config = document.get("config")
    if not isinstance(config, dict) or CONFIG_KEY not in config:
        raise BadInputError(f"{path}: config: missing required key '{CONFIG_KEY}'")
    _reject_unknown(path, "config", set(config), ALLOWED_CONFIG_KEYS)
    return validate_platform_config(config[CONFIG_KEY], source=f"{path}: {CONFIG_KEY}")


def validate_platform_config(raw: Any, source: str) -> StackConfig:
    """Validate the platform object; shared by the offline plan and the real Pulumi program."""
    try:
        return StackConfig.model_validate(raw)
    except ValidationError as error:
        problems = [_describe(item) for item in error.errors()]
        raise BadInputError(f"{source}: " + "; ".join(problems)) from None


def _reject_unknown(path: Path, where: str, keys: set[str], allowed: set[str]) -> None:
    unknown = sorted(keys - allowed)
    if unknown:
        raise BadInputError(
            f"{path}: {where}: unknown key '{unknown[0]}'; allowed: {', '.join(sorted(allowed))}"
        )


def _describe(item: Any) -> str:
    location = _dotted(item["loc"])
    kind = item["type"]
    if kind == "extra_forbidden":
        parent, key = item["loc"][:-1], item["loc"][-1]
        allowed = ", ".join(_allowed_keys(StackConfig, parent))
        return f"unknown key '{key}' at '{location}'; allowed: {allowed}"
    if kind == "missing":
        return f"'{location}' is required"
    message = item["msg"].removeprefix("Value error, ")
    if kind in {"literal_error", "enum"} or not location:
        return f"'{location}': {message}" if location else message
    return f"'{location}': {message} (got {item.get('input')!r})"


def _dotted(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _allowed_keys(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names of the model found by following `loc` from StackConfig."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if _is_model(current) else None
        if field is None:
            return []
        current = _model_inside(field.annotation)
    return sorted(current.model_fields) if _is_model(current) else []


def _is_model(candidate: Any) -> bool:
    return isinstance(candidate, type) and issubclass(candidate, BaseModel)


def _model_inside(annotation: Any) -> Any:
    """Unwrap Optional/list/dict annotations to the model they contain, if any."""
    if _is_model(annotation):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (list, dict, typing.Union, types.UnionType, typing.Annotated):
        for argument in typing.get_args(annotation):
            found = _model_inside(argument)
            if found is not None:
                return found
    return None
