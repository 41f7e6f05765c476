"""Every image is built from the shared stage with exactly its part of the project: the build
gets what it copies, and each image runs as a non-root user on the environment of one extra."""

import subprocess

import pytest

from tests.images.dockerfile import (
    EXTRAS,
    ROOT,
    STAGES,
    copied_sources,
    environment_part,
    kept_by_dockerignore,
)

IMAGES = {"governance": "governance", "predictor": "serving", "pipeline": "pipelines"}


def test_build_context_sends_every_path_the_build_copies() -> None:
    copied = copied_sources()
    assert {"pyproject.toml", "uv.lock", "images/build-env", "mlops"} <= copied
    assert copied <= kept_by_dockerignore()
    for path in copied:
        assert (ROOT / path).exists(), path


def test_one_build_stage_is_shared_by_every_image() -> None:
    env_stages = [name for name in STAGES if name.endswith("-env")]
    assert len(env_stages) == len(IMAGES)
    for name in env_stages:
        assert STAGES[name].instruction("FROM") == ["build AS " + name]


@pytest.mark.parametrize(("image", "part"), sorted(IMAGES.items()))
def test_each_image_installs_only_its_extra(image: str, part: str) -> None:
    assert environment_part(image) == part
    assert part in EXTRAS
    # nothing of the Pulumi program or the operator's tools in a runtime image
    assert not {"iac", "tools"} & set(EXTRAS[part])


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_runs_as_a_non_root_user(image: str) -> None:
    (user,) = STAGES[image].instruction("USER")
    assert user.split(":")[0] not in ("0", "root")


def test_build_env_refuses_an_unknown_part_before_installing_anything(tmp_path) -> None:
    result = subprocess.run(
        [ROOT / "images" / "build-env", "iac", tmp_path / "env"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "unknown part 'iac' (allowed: governance, serving, pipelines)" in result.stderr
    assert not (tmp_path / "env").exists()
