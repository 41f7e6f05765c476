"""The CrossGuard packs under policies/, and which environments each one applies to.

A pack applies to an environment when it has a policy config file for it,
`policies/<pack>/config/<environment>.json` (Pulumi's `--policy-pack-config` format). Which
stacks get which pack is therefore data in the pack, keyed by the stack's `environment` field.
"""

from dataclasses import dataclass
from pathlib import Path

from mlops.errors import BadInputError

POLICIES_DIR = Path("policies")
PACK_FILE = "PulumiPolicy.yaml"


@dataclass(frozen=True)
class Pack:
    name: str
    directory: Path

    @property
    def python(self) -> Path:
        """The interpreter Pulumi runs the pack with (`runtime.options.virtualenv: venv`)."""
        return self.directory / "venv" / "bin" / "python"

    def config_file(self, environment: str) -> Path:
        return self.directory / "config" / f"{environment}.json"

    def applies_to(self, environment: str) -> bool:
        return self.config_file(environment).is_file()


def discover(policies_dir: Path = POLICIES_DIR) -> list[Pack]:
    """Every directory of `policies_dir` with a PulumiPolicy.yaml, by name."""
    if not policies_dir.is_dir():
        raise BadInputError(f"{policies_dir}: no such directory (the CrossGuard packs live there)")
    return [
        Pack(path.parent.name, path.parent)
        for path in sorted(policies_dir.glob(f"*/{PACK_FILE}"))
        if (path.parent / "__main__.py").is_file()
    ]


def packs_for(environment: str, policies_dir: Path = POLICIES_DIR) -> list[Pack]:
    packs = [pack for pack in discover(policies_dir) if pack.applies_to(environment)]
    if not packs:
        raise BadInputError(
            f"{policies_dir}: no policy pack has config/{environment}.json; every environment "
            "needs at least the baseline pack"
        )
    return packs
