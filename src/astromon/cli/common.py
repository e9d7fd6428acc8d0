"""What every ``astromon`` command shares: options, exit codes, errors, logging and output."""

from __future__ import annotations

import functools
import io
import json
import logging
from collections.abc import Callable, Sequence
from enum import IntEnum, StrEnum
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import numpy as np
import typer
from astropy.table import Table

from astromon.bootstrap import Astromon, current
from astromon.domain.errors import AstromonError, ValidationError
from astromon.logging_config import configure_logging as _configure
from astromon.ports.store import Store

__all__ = [
    "ExitCode",
    "LogFormat",
    "OutputFormat",
    "State",
    "configure_logging",
    "echo_error",
    "handle_errors",
    "lock_wait_notice",
    "parse_where",
    "plain_table",
    "state",
    "write_table",
]

P = ParamSpec("P")
R = TypeVar("R")


class ExitCode(IntEnum):
    """Exit codes of ``astromon``."""

    OK = 0
    ERROR = 1
    USAGE = 2
    PARTIAL = 3
    INTERRUPTED = 130


class LogFormat(StrEnum):
    """Log output: ``json`` lines or human ``console`` lines (both on stderr)."""

    json = "json"
    console = "console"


class OutputFormat(StrEnum):
    """Output of table commands."""

    table = "table"
    ecsv = "ecsv"
    csv = "csv"
    json = "json"
    parquet = "parquet"


class State:
    """Global options (``--db``) and the application object, kept on the Typer context.

    ``app`` is built once by the callback of :mod:`astromon.cli.app`: the
    :class:`~astromon.bootstrap.Astromon` already on the context
    (``CliRunner.invoke(app, args, obj=...)``), else :func:`astromon.bootstrap.current` (the
    one installed with :func:`astromon.bootstrap.using`, else a new ``bootstrap()``). Tests
    give the commands fakes these two ways.
    """

    def __init__(self, db: Path | None = None, app: Astromon | None = None) -> None:
        self.db = db
        self.app = app if app is not None else current()

    def store(self, *, write: bool = False) -> Store:
        """The store of ``--db`` (default file rule when not given)."""
        return self.app.store(self.db, write=write)


def state(ctx: typer.Context) -> State:
    """The global options of the running command (defaults when run without the callback)."""
    root = ctx.find_root()
    if not isinstance(root.obj, State):
        root.obj = State(app=root.obj if isinstance(root.obj, Astromon) else None)
    return root.obj


def echo_error(message: str) -> None:
    """Print one error line on stderr (line breaks of the message are joined)."""
    text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    typer.echo(f"error: {text}", err=True)


def lock_wait_notice(path: Path, pid: int | None) -> None:
    """Say on stderr, in one line, that the command waits for another process's file lock."""
    holder = f" held by PID {pid}" if pid is not None else " held by another process"
    typer.echo(f"waiting for the lock on {path}{holder} ...", err=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn astromon errors into one line on stderr and exit code 1 (no traceback).

    ValidationError raised by a command means bad input: exit code 2 (usage error).
    Ctrl-C exits with 130. While the command runs, a wait of more than 1 s for a database
    lock is announced on stderr (:func:`lock_wait_notice`).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        app = current()
        previous = app.set_lock_wait_notice(lock_wait_notice)
        try:
            return func(*args, **kwargs)
        except ValidationError as exc:
            echo_error(str(exc))
            raise typer.Exit(ExitCode.USAGE) from None
        except AstromonError as exc:
            echo_error(str(exc))
            raise typer.Exit(ExitCode.ERROR) from None
        except KeyboardInterrupt:
            echo_error("interrupted")
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        finally:
            app.set_lock_wait_notice(previous)

    return wrapper


def configure_logging(log_format: LogFormat | None, verbose: int = 0) -> None:
    """Send structlog and standard logging events to stderr as JSON or console lines.

    The default format is JSON when stderr is not a terminal, console otherwise. ``verbose``
    0 shows warnings, 1 info, 2 debug. Worker processes started afterwards inherit the same
    settings.
    """
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    _configure(None if log_format is None else log_format.value, level)


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_where(items: Sequence[str]) -> dict[str, Any]:
    """``COLUMN=VALUE`` filters: numbers become numbers, ``a,b,c`` a list (value in list).

    Raises
    ------
    ValidationError
        An item has no ``=`` or an empty column name.
    """
    out: dict[str, Any] = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise ValidationError(f"--where {item!r} is not COLUMN=VALUE")
        parts = [_value(v.strip()) for v in value.split(",")]
        out[column.strip()] = parts if "," in value else parts[0]
    return out


def plain_table(table: Table) -> Table:
    """A copy holding only plain columns: times as dates, sky coordinates dropped."""
    out = Table(meta=dict(table.meta))
    for name in table.colnames:
        col = table[name]
        if hasattr(col, "ra") and hasattr(col, "dec") and not hasattr(col, "dtype"):
            continue  # SkyCoord: its ra/dec are other columns
        if hasattr(col, "jd1"):  # a Time column
            out[name] = np.asarray(getattr(col, "date", col.isot)).astype(str)
            continue
        if getattr(getattr(col, "dtype", None), "kind", "O") == "O":
            out[name] = np.asarray([str(v) for v in col], dtype=str)
            continue
        out[name] = col
        if getattr(col, "format", None):
            out[name].format = col.format
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def write_table(table: Table, fmt: OutputFormat, output: Path | None) -> None:
    """Write ``table`` to ``output`` (or stdout) in ``fmt``.

    Raises
    ------
    ValidationError
        Parquet to stdout (it needs ``--output``).
    AstromonError
        The output file cannot be written (the message names it).
    """
    plain = plain_table(table)
    if fmt is OutputFormat.parquet and output is None:
        raise ValidationError("--format parquet needs --output PATH")
    if fmt is OutputFormat.json:
        records = [{name: _json_value(row[name]) for name in plain.colnames} for row in plain]
        text = json.dumps(records, indent=1)
    elif fmt is OutputFormat.table:
        text = "\n".join(plain.pformat(max_lines=-1, max_width=-1)) if len(plain) else ""
        if not len(plain):
            text = "(no rows)"
    elif output is None:
        buffer = io.StringIO()
        astropy_fmt = "ascii.ecsv" if fmt is OutputFormat.ecsv else "ascii.csv"
        plain.write(buffer, format=astropy_fmt)
        text = buffer.getvalue().rstrip("\n")
    else:
        text = ""
    if output is None:
        typer.echo(text)
        return
    try:
        if fmt in (OutputFormat.json, OutputFormat.table):
            output.write_text(text + "\n", encoding="utf-8")
        else:
            formats = {"ecsv": "ascii.ecsv", "csv": "ascii.csv", "parquet": "parquet"}
            plain.write(output, format=formats[fmt.value], overwrite=True)
    except OSError as exc:
        raise AstromonError(f"cannot write {str(output)!r}: {exc}") from exc
