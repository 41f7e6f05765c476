"""Scratch world fixtures (see tests/gates/scenario.py)."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gates.scenario import World, migrated_mlflow_db, new_world


@pytest.fixture
def world(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    template = migrated_mlflow_db(tmp_path_factory.mktemp("mlflow-template"))
    scratch = new_world(tmp_path, template)
    yield scratch
    scratch.audit.close()
