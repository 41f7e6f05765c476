"""The pipeline configuration: both modes present, bad values named with their key."""

from pathlib import Path

import pytest

from mlops.errors import BadInputError
from pipelines.credit_risk.config import CONFIG_PATH, load_config


def test_modes_differ_by_data_only(config) -> None:
    int_mode, prod = config.mode("int"), config.mode("prod")
    assert int_mode.sample_rows is not None and prod.sample_rows is None
    assert len(int_mode.search) < len(prod.search)
    assert max(c.max_iter for c in int_mode.search) < min(c.max_iter for c in prod.search)
    assert prod.gates.min_roc_auc > int_mode.gates.min_roc_auc


def test_unknown_mode_is_bad_input(config) -> None:
    with pytest.raises(BadInputError, match="--mode: 'dev' is unknown; allowed: int, prod"):
        config.mode("dev")


def test_bad_value_names_file_and_key(tmp_path: Path) -> None:
    text = CONFIG_PATH.read_text().replace("max_psi: 0.2", "max_psi: -1", 1)
    bad = tmp_path / "config.yaml"
    bad.write_text(text)
    with pytest.raises(BadInputError, match=r"config.yaml: drift.max_psi: Input should be greater"):
        load_config(bad)
