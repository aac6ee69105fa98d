"""How to type a Muster command on this machine, for the hints Muster prints.

A bare `python -m bot ...` fails outside the virtual environment the README's install
command makes (ModuleNotFoundError): hints name the interpreter that is running now."""

from __future__ import annotations

import sys
from pathlib import Path


def muster_command(arguments: str) -> str:
    """`arguments` as a command to type: this Python (relative to the working folder when
    it is inside it, as `.venv/bin/python`), then `-m bot`."""
    python = Path(sys.executable)
    try:
        shown = str(python.relative_to(Path.cwd()))
    except ValueError:
        shown = str(python)
    return f"{shown} -m bot {arguments}"
