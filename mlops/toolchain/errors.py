"""The one error of the toolchain: what is missing or failed, and what to install."""

from mlops.errors import BadInputError


class ToolchainError(BadInputError):
    """A pinned program cannot be provided here (no Go toolchain, no uv, a failed build or
    download). The command line exits 2 with the message, which says what to install."""


class MissingToolError(ToolchainError):
    """The client a program is built or downloaded with (`go`, `uv`) is not installed."""
