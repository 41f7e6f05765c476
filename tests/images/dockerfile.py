"""Reading a Dockerfile's instructions: there is no Docker engine here, so image contracts are
checked on the text."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


class Dockerfile:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.text = path.read_text(encoding="utf-8")

    def instruction(self, name: str) -> list[str]:
        """The arguments of every `name` instruction, in order."""
        return re.findall(rf"^{name}\s+(.+)$", self.text, flags=re.MULTILINE)

    def copied_sources(self) -> set[str]:
        """Paths the build copies from its context (not from other stages)."""
        return {
            source.rstrip("/").removeprefix("./")
            for line in self.instruction("COPY")
            if "--from" not in line
            for source in line.split()[:-1]
        }

    def kept_by_dockerignore(self) -> set[str]:
        """Paths the `<Dockerfile>.dockerignore` allow-list sends to the build."""
        ignore = self.path.with_name(self.path.name + ".dockerignore").read_text(encoding="utf-8")
        return {line[1:].rstrip("/") for line in ignore.splitlines() if line.startswith("!")}


IMAGES = {
    "governance": Dockerfile(ROOT / "images" / "governance" / "Dockerfile"),
    "predictor": Dockerfile(ROOT / "images" / "predictor" / "Dockerfile"),
    "pipeline-components": Dockerfile(ROOT / "pipelines" / "Dockerfile"),
}
