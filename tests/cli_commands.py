"""Every command path of the ``astromon`` CLI, read from the Typer app itself.

Tests that check each command (``--help``, error exits) use this list, so a command added to
the app is covered without editing the tests.
"""

from __future__ import annotations

from typing import Any

import typer

from astromon.cli.app import app


def command_paths() -> list[list[str]]:
    """``[["process"], ["regions"], ["regions", "add"], ...]`` in the app's order."""
    paths: list[list[str]] = []

    def walk(command: Any, prefix: list[str]) -> None:
        # groups have ``commands`` (Typer ships its own click, so no isinstance check)
        for name, sub in getattr(command, "commands", {}).items():
            paths.append([*prefix, name])
            walk(sub, [*prefix, name])

    walk(typer.main.get_command(app), [])
    return paths
