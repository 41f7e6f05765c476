"""The two consoles every command writes to: results on stdout, diagnostics on stderr."""

import json

from rich.console import Console

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def print_json(document: object) -> None:
    """Machine-readable output, written as is on stdout. Rich's print_json re-parses and styles
    the text: 0.65 s for the JSON of the prod plan against 7 ms for this."""
    out.file.write(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    out.file.flush()
