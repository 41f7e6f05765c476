"""`python -m mlops` runs the command line, as the `mlops` console script does."""

from mlops.cli.app import main

main()
