"""The kinds of evidence-log entry, in a module without dependencies, so that a command's options
can name them without loading the log's models."""

from typing import Literal, get_args

Kind = Literal["measurement", "verdict", "oversight", "certificate", "document"]
KINDS: tuple[Kind, ...] = get_args(Kind)
