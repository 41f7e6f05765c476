"""The checkout this package runs from: the default root of the stacks, gate files and the
GitOps tree that commands read and write, and of the code a pipeline run cites."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
