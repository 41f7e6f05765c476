"""Reading the images' Dockerfile: there is no Docker engine here, so image contracts are checked
on the text of each image's stage."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATH = ROOT / "images" / "Dockerfile"
EXTRAS = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"][
    "optional-dependencies"
]


class Stage:
    """One stage: its FROM line, its instructions and the comment block just above it."""

    def __init__(self, name: str, text: str) -> None:
        self.name = name
        self.text = text

    def instruction(self, name: str) -> list[str]:
        """The arguments of every `name` instruction, in order."""
        return re.findall(rf"^{name}\s+(.+)$", self.text, flags=re.MULTILINE)

    def copied_stages(self) -> list[str]:
        return [
            match.group(1)
            for line in self.instruction("COPY")
            if (match := re.match(r"--from=(\S+)", line))
        ]

    def built_part(self) -> str:
        """The extra whose environment this `*-env` stage builds."""
        (run,) = self.instruction("RUN")
        (part,) = re.findall(r"\./build-env (\S+) /opt/venv", run)
        return part


def stages(text: str) -> dict[str, Stage]:
    found: dict[str, Stage] = {}
    name, lines, comments = "", [], []
    for line in text.splitlines():
        if line.startswith("#"):
            comments.append(line)
            continue
        if line.startswith("FROM "):
            if name:
                found[name] = Stage(name, "\n".join(lines))
            name = line.split()[-1]
            lines = [*comments, line]
        elif name:
            lines.extend([*comments, line])
        comments = []
    found[name] = Stage(name, "\n".join(lines))
    return found


TEXT = PATH.read_text(encoding="utf-8")
STAGES = stages(TEXT)


def kept_by_dockerignore() -> set[str]:
    """Paths the `Dockerfile.dockerignore` allow-list sends to the build."""
    ignore = PATH.with_name(PATH.name + ".dockerignore").read_text(encoding="utf-8")
    return {line[1:].rstrip("/") for line in ignore.splitlines() if line.startswith("!")}


def copied_sources() -> set[str]:
    """Paths the build copies from its context (not from other stages)."""
    return {
        source.rstrip("/").removeprefix("./")
        for stage in STAGES.values()
        for line in stage.instruction("COPY")
        if "--from" not in line
        for source in line.split()[:-1]
    }


def environment_part(image: str) -> str:
    """The extra the image's environment is built from (its `*-env` stage)."""
    (env_stage,) = [s for s in STAGES[image].copied_stages() if s.endswith("-env")]
    return STAGES[env_stage].built_part()
