"""What the legacy console scripts share: the note, running ``astromon``, errors, logging."""

from __future__ import annotations

import argparse
import functools
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from astromon.cli.console import ExitCode, run_console_script

__all__ = [
    "LegacyParser",
    "console_script",
    "fail",
    "note",
    "run_astromon",
    "verbose_count",
    "verbosity",
    "writable_db_file",
]

_HDF5_SUFFIXES = (".h5", ".hdf5", ".hdf")


class LegacyParser(argparse.ArgumentParser):
    """An argparse parser whose errors are one line on stderr (exit code 2)."""

    def error(self, message: str) -> NoReturn:
        fail(self.prog, message)


Main = Callable[[Sequence[str] | None], None]


def console_script(script: str) -> Callable[[Main], Main]:
    """Run a legacy script's entry point under the rules of every astromon console script
    (:mod:`astromon.cli.console`): Ctrl-C and SIGTERM exit 130 and 143 with one line, a
    closed stdout is silent, an unexpected error is one line; the process exits."""

    def decorate(main: Main) -> Main:
        @functools.wraps(main)
        def run(argv: Sequence[str] | None = None) -> None:
            run_console_script(lambda: main(argv), script)

        return run

    return decorate


def note(script: str, *argvs: Sequence[str], extra: str = "") -> None:
    """Print the equivalent ``astromon`` command(s) on stderr (one line)."""
    commands = " and ".join(f"`{shlex.join(['astromon', *argv])}`" for argv in argvs)
    print(f"{script}: now {commands}{f' ({extra})' if extra else ''}", file=sys.stderr)


def fail(script: str, message: str, code: int = ExitCode.USAGE) -> NoReturn:
    """Print ``{script}: error: {message}`` on stderr (one line) and exit with ``code``."""
    text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    print(f"{script}: error: {text}", file=sys.stderr)
    raise SystemExit(int(code))


def run_astromon(script: str, argv: Sequence[str]) -> int:
    """Run the ``astromon`` Typer application in this process; returns its exit code (it
    reports its own errors, one line each)."""
    from astromon.cli.app import app

    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        app(args=list(argv), prog_name="astromon")
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else int(ExitCode.ERROR))
    return 0


def verbose_count(log_level: str | None) -> int:
    """``astromon -v`` count of a legacy ``--log-level``: debug 2, info 1, others 0."""
    return {"debug": 2, "info": 1}.get((log_level or "warning").lower(), 0)


def verbosity(log_level: str | None) -> list[str]:
    """``-v`` options of ``astromon`` for a legacy ``--log-level`` (debug, info, ...)."""
    count = verbose_count(log_level)
    return [f"-{'v' * count}"] if count else []


def writable_db_file(script: str, option: str, path: Path) -> Path:
    """``path`` if astromon can write it, else a one-line error saying how to migrate.

    astromon writes DuckDB files; legacy HDF5 files (by name or content) are read-only.
    """
    from astromon.bootstrap import current

    if path.suffix.lower() in _HDF5_SUFFIXES or current().is_legacy_file(path):
        target = path.with_suffix(".duckdb")
        fail(
            script,
            f"{option} {path} is an HDF5 file and astromon writes DuckDB files: import it once "
            f"with `astromon --db {target} db import-legacy {path}` and pass {option} {target}",
        )
    return path
