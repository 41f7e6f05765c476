"""Every image's build gets what it copies: the dockerignore allow-list sends each copied path,
and the path exists in the repository."""

import pytest

from tests.images.dockerfile import IMAGES, ROOT


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_build_context_sends_every_path_the_build_copies(image: str) -> None:
    dockerfile = IMAGES[image]
    copied = dockerfile.copied_sources()
    assert copied, f"{dockerfile.path}: copies nothing from its context"
    assert copied <= dockerfile.kept_by_dockerignore()
    for path in copied:
        assert (ROOT / path).exists(), path


@pytest.mark.parametrize("image", sorted(IMAGES))
def test_runs_as_a_non_root_user(image: str) -> None:
    (user,) = IMAGES[image].instruction("USER")
    assert user.split(":")[0] not in ("0", "root")
