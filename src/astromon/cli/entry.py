"""The ``astromon`` console script.

Importing the application (Typer, astropy, numpy) takes about a second; a Ctrl-C in that
second would otherwise end in a Python traceback. :func:`main` imports the application
inside the same guard that turns Ctrl-C into one line and exit code 130 afterwards.
"""

from __future__ import annotations

import sys

__all__ = ["INTERRUPTED", "main"]

INTERRUPTED = 130
"""Exit code after Ctrl-C (128 + SIGINT), the same as the application's."""


def main() -> None:
    """Entry point of the ``astromon`` script and of ``python -m astromon``."""
    try:
        from astromon.cli.app import main as run_application
    except KeyboardInterrupt:
        sys.stderr.write("error: interrupted\n")
        sys.stderr.flush()
        raise SystemExit(INTERRUPTED) from None
    run_application()
