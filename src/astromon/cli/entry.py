"""The ``astromon`` console script.

Importing the application (Typer, astropy, numpy) takes about a second. :func:`main` installs
the handlers of Ctrl-C and SIGTERM first (:mod:`astromon.cli.console` is light), so that a
signal during the import ends the program like one during a command: one line, exit code 130
or 143, no traceback.
"""

from __future__ import annotations

__all__ = ["main"]


def main() -> None:
    """Entry point of the ``astromon`` script and of ``python -m astromon``."""
    from astromon.cli.console import run_console_script

    def application() -> None:
        from astromon.cli.app import main as run_application

        run_application()

    run_console_script(application)
