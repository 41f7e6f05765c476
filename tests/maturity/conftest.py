"""Shared fixtures: the packaged scheme and answers builders."""

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlops.maturity.scheme import Scheme, load_scheme


@pytest.fixture
def scheme() -> Scheme:
    return load_scheme()


RateAll = Callable[[int], dict[str, dict[str, Any]]]


@pytest.fixture
def rate_all(scheme: Scheme) -> RateAll:
    """Build an answers mapping with every factor at one level."""

    def build(level: int) -> dict[str, dict[str, Any]]:
        return {d.id: {f.id: level for f in d.factors} for d in scheme.dimensions}

    return build


@pytest.fixture
def write_answers(tmp_path: Path) -> Callable[[Any, str], Path]:
    """Write a YAML document (a mapping, or raw text) to tmp_path/<name> and return its path."""

    def write(document: Any, name: str = "answers.yaml") -> Path:
        path = tmp_path / name
        text = document if isinstance(document, str) else yaml.safe_dump(document, sort_keys=False)
        path.write_text(text, encoding="utf-8")
        return path

    return write
