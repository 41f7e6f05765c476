"""Each custom checkov check lives in a module named by what it checks, not by its id."""

import re

from tests.conftest import REPO


def test_check_modules_are_named_by_what_they_check() -> None:
    modules = sorted((REPO / "policies" / "checkov").glob("*.py"))
    checks = [m for m in modules if 'id="CKV_MLOPS_' in m.read_text(encoding="utf-8")]
    assert len(checks) >= 10
    for module in checks:
        assert not re.match(r"(?i)ckv_", module.stem), module.name
        assert f"`{module.name}`" in (REPO / "policies" / "checkov" / "README.md").read_text()
