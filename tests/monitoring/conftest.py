"""The in-process CLI runner of the serving tests, shared."""

from tests.serving.conftest import mlops

__all__ = ["mlops"]
