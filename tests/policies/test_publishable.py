"""Each pack is complete in its folder, as `pulumi policy publish` uploads it: a copy of the
folder alone, run by the pack's interpreter, loads every rule (the shared helpers come from the
installed `mlops-policy-kit`, which the pack's requirements name, never from a sibling folder)."""

import shutil
import subprocess

import pytest

from tests.policies.conftest import require_venv

LOAD_RULES = "import importlib, sys; print(len(importlib.import_module(sys.argv[1]).POLICIES))"


@pytest.mark.parametrize("name", ["baseline", "production"])
def test_a_copy_of_the_pack_folder_alone_loads_every_rule(name: str, tmp_path) -> None:
    pack = require_venv(name)
    copy = tmp_path / "upload" / name
    shutil.copytree(pack.directory, copy, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    result = subprocess.run(
        [pack.python, "-I", "-c", f"import sys; sys.path.insert(0, '.'); {LOAD_RULES}",
         f"{name}_rules"],
        cwd=copy, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 0
    requirements = (copy / "requirements.txt").read_text(encoding="utf-8").split()
    assert "mlops-policy-kit==0.1.0" in requirements
    assert "sys.path" not in (copy / "__main__.py").read_text(encoding="utf-8")
