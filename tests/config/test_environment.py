"""Every MLOPS_* setting has one typed home (mlops/config/environment.py) and one row in the
README's Settings table; code names a setting only through it."""

import ast
import re
from pathlib import Path

import pytest

from mlops.config import environment
from mlops.config.environment import SETTINGS
from mlops.errors import BadInputError
from tests.conftest import REPO

NAME = re.compile(r"\bMLOPS_[A-Z][A-Z0-9_]*")
HOME = REPO / "mlops" / "config" / "environment.py"


def docstrings(tree: ast.AST) -> set[int]:
    return {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }


def spelled_out(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = docstrings(tree)
    return [
        f"{path.relative_to(REPO)}:{node.lineno}: {match}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip
        for match in NAME.findall(node.value)
    ]


def test_code_names_settings_only_through_their_home() -> None:
    found = [
        hit
        for root in ("mlops", "components", "pipelines")
        for path in sorted((REPO / root).rglob("*.py"))
        if path != HOME
        for hit in spelled_out(path)
    ]
    assert found == []


def test_the_readme_table_lists_every_setting_once() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0]
    rows = {
        cells[0].strip("` "): cells[1].strip()
        for line in section.splitlines()
        if line.startswith("| `MLOPS_")
        for cells in [line.strip("|").split("|")]
    }
    assert rows == {setting.name: setting.doc for setting in SETTINGS}


def test_names_are_unique_and_prefixed() -> None:
    names = [setting.name for setting in SETTINGS]
    assert len(names) == len(set(names))
    assert all(NAME.fullmatch(name) for name in names)


def test_a_typed_setting_parses_and_a_bad_value_names_what_is_allowed(monkeypatch) -> None:
    monkeypatch.setenv(environment.HTTP_PORT.name, "8081")
    assert environment.HTTP_PORT.get() == 8081
    monkeypatch.setenv(environment.HTTP_PORT.name, "eighty")
    with pytest.raises(BadInputError, match=r"MLOPS_HTTP_PORT='eighty': allowed: 1-65535"):
        environment.HTTP_PORT.get()
    monkeypatch.delenv(environment.HTTP_PORT.name)
    assert environment.HTTP_PORT.get(8080) == 8080
    monkeypatch.setenv(environment.UV_LOCK.name, "/x/uv.lock")
    assert environment.UV_LOCK.get() == Path("/x/uv.lock")
