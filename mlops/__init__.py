"""Library and command line of the governed MLOps platform (everything that is not a Pulumi component)."""

__version__ = "0.1.0"
