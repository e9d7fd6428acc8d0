"""What every ``astromon`` command shares: options, exit codes, errors, logging and output."""

from __future__ import annotations

import functools
import io
import json
import logging
import warnings
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import numpy as np
import typer
from astropy.table import Table

from astromon.bootstrap import Astromon, current
from astromon.cli.console import (
    ExitCode,
    closed_stdout,
    error_line,
    is_closed_stdout,
    os_error_message,
)
from astromon.domain.errors import AstromonError, ValidationError
from astromon.logging_config import configure_logging as _configure
from astromon.ports.store import Store
from astromon.services import interrupts

__all__ = [
    "INT32_RANGE",
    "ExitCode",
    "FormatOpt",
    "LogFormat",
    "OutputFormat",
    "OutputOpt",
    "OverwriteOpt",
    "State",
    "configure_logging",
    "cross_match_counts",
    "echo_error",
    "handle_errors",
    "lock_wait_notice",
    "parse_time_option",
    "parse_where",
    "plain_table",
    "require_cross_match",
    "require_table",
    "state",
    "stored_cross_matches",
    "write_table",
]

P = ParamSpec("P")
R = TypeVar("R")

INT32_RANGE: dict[str, Any] = {"min": -(2**31), "max": 2**31 - 1}
"""Bounds of the integer options stored in int32 columns (obsids, region ids): a larger
value is a usage error naming the option, before anything is read or written."""


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


FormatOpt = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
"""``--format`` of the table commands (default ``table``)."""
OutputOpt = Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")]
"""``--output`` of the table commands (default: standard output)."""
OverwriteOpt = Annotated[
    bool, typer.Option("--overwrite", help="Replace an existing --output file.")
]
"""``--overwrite`` of the table commands: the one overwrite rule."""


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
    error_line(message)


def lock_wait_notice(path: Path, pid: int | None) -> None:
    """Say on stderr, in one line, that the command waits for another process's file lock."""
    holder = f" held by PID {pid}" if pid is not None else " held by another process"
    typer.echo(f"waiting for the lock on {path}{holder} ...", err=True)


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn every error into one line on stderr and an exit code (never a traceback).

    ValidationError (bad input) exits with 2 (usage error); other astromon errors and system
    errors (a read-only directory, a full disk) with 1. Ctrl-C and SIGTERM — also when DuckDB
    reports them as an interrupted query, and any error once a signal has interrupted the
    command — exit with :attr:`ExitCode.INTERRUPTED`, for which the application prints the
    one line and the signal's exit code (:mod:`astromon.cli.console`). A standard output
    closed by its reader ends the command silently (exit code 141). An unexpected exception
    is reported in one line naming its type and exits with 1; its traceback is a debug log
    event (``-vv``). While the command runs, a wait of more than 1 s for a database lock is
    announced on stderr (:func:`lock_wait_notice`).
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        app = current()
        previous = app.set_lock_wait_notice(lock_wait_notice)
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except KeyboardInterrupt:
            raise typer.Exit(ExitCode.INTERRUPTED) from None
        except Exception as exc:
            from astromon.services.batch.pipeline import interrupted_query

            bad_input = isinstance(exc, ValidationError)  # its text may quote any value
            if interrupts.interrupting() or (interrupted_query(exc) and not bad_input):
                raise typer.Exit(ExitCode.INTERRUPTED) from None
            if is_closed_stdout(exc):
                raise typer.Exit(closed_stdout()) from None
            echo_error(_error_message(exc))
            code = ExitCode.USAGE if isinstance(exc, ValidationError) else ExitCode.ERROR
            raise typer.Exit(code) from None
        finally:
            app.set_lock_wait_notice(previous)

    return wrapper


def _error_message(exc: Exception) -> str:
    """The one line of an error: astromon's message, a system error's file and reason, or
    the type and text of an unexpected error (whose traceback is a debug event)."""
    if isinstance(exc, AstromonError):
        return str(exc)
    if isinstance(exc, OSError):
        return os_error_message(exc)
    logging.getLogger("astromon.cli").debug("unexpected error", exc_info=True)
    return f"unexpected {type(exc).__name__}: {exc}"


def configure_logging(log_format: LogFormat | None, verbose: int = 0) -> None:
    """Send structlog and standard logging events to stderr as JSON or console lines.

    The default format is JSON when stderr is not a terminal, console otherwise. ``verbose``
    0 shows warnings, 1 info, 2 debug, 3 also the debug records of third-party libraries
    (h5py, matplotlib, urllib3, asyncio...), which are otherwise kept to warnings. Python
    warnings (numpy's, astropy's) are logged as warning events. Worker processes started
    afterwards inherit the same settings.
    """
    from astromon.logging_config import quiet_third_party

    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    _configure(None if log_format is None else log_format.value, level)
    quiet_third_party(show=verbose >= 3)
    logging.captureWarnings(True)  # Python warnings are log events too, one line each
    # A date before 1960 or past the leap-second table (--start 2300:001, --now 1900:001) is
    # converted with the table's last offset, and ERFA warns "dubious year" at each use. Such a
    # bound needs no leap second to the second: the warning would only bury the output.
    warnings.filterwarnings("ignore", message=r".*dubious year", category=Warning)


def _value(text: str) -> Any:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def parse_where(items: Sequence[str]) -> dict[str, Any]:
    """``COLUMN=VALUE`` filters: numbers become numbers; ``a,b,c`` and repeated filters on one
    column mean "any of these" (a list).

    Raises
    ------
    ValidationError
        An item has no ``=`` or an empty column name.
    """
    out: dict[str, list[Any]] = {}
    for item in items:
        column, sep, value = item.partition("=")
        if not sep or not column.strip():
            raise ValidationError(f"--where {item!r} is not COLUMN=VALUE")
        out.setdefault(column.strip(), []).extend(_value(v.strip()) for v in value.split(","))
    return {name: values[0] if len(values) == 1 else values for name, values in out.items()}


def parse_time_option(option: str, value: str | None) -> float | str | None:
    """The value of a date option (``--start``, ``--now``...): CXC seconds or a date string.

    Raises
    ------
    ValidationError
        The value is neither a number of CXC seconds nor a date astromon can read (the message
        names the option and the value, in one line).
    """
    if value is None:
        return None
    from astromon.domain.time import CxoTime

    try:
        number = float(value)
    except ValueError:
        pass
    else:
        if not np.isfinite(number):
            raise ValidationError(f"{option} {value!r} is not a finite number of CXC seconds")
        try:
            str(CxoTime(number).date)  # a time that has a date (years 1 to 9999)
        except Exception:
            raise ValidationError(f"{option} {value!r} is not a time of the calendar") from None
        return number
    try:
        parsed = CxoTime(value)
        if not parsed.isscalar:
            raise ValueError("not a single date")
        str(parsed.date)
    except Exception:
        raise ValidationError(
            f"{option} {value!r} is not a date: use a Chandra date (2014:001:00:00:00), an "
            "ISO date (2014-01-01T00:00:00) or CXC seconds"
        ) from None
    return value


def stored_cross_matches(store: Any) -> dict[str, int]:
    """The names of the cross-matches stored in ``astromon_xcorr`` with their row counts."""
    from astromon.domain.errors import MissingTableException

    try:
        xcorr = store.read_table("astromon_xcorr")
    except MissingTableException:
        return {}
    return cross_match_counts(xcorr)


def cross_match_counts(xcorr: Any) -> dict[str, int]:
    """The cross-match names (select_name) of an ``astromon_xcorr`` table with row counts."""
    if "select_name" not in xcorr.colnames or not len(xcorr):
        return {}
    names, counts = np.unique(np.asarray(xcorr["select_name"]).astype(str), return_counts=True)
    return {str(n): int(c) for n, c in zip(names, counts, strict=True)}


def require_cross_match(store: Any, name: str, option: str) -> None:
    """Refuse a cross-match name that is not stored, listing the stored names.

    Raises
    ------
    ValidationError
        ``name`` is not a ``select_name`` of ``astromon_xcorr``.
    """
    stored = stored_cross_matches(store)
    if name not in stored:
        listed = ", ".join(sorted(stored)) or "none"
        raise ValidationError(f"{option} {name!r} is not a stored cross-match; stored: {listed}")


def require_table(read: Callable[[str], Table], name: str, option: str = "TABLE") -> Table:
    """``read(name)``, the astromon table ``name``; an unknown name, or one the file does not
    hold, is a usage error (like a cross-match name that is not stored).

    Raises
    ------
    ValidationError
        ``name`` is not an astromon table or is absent from the file (the message lists the
        tables).
    """
    from astromon.domain.errors import MissingTableException

    try:
        return read(name)
    except MissingTableException as exc:
        raise ValidationError(f"{option} {name!r}: {exc}") from None


def plain_table(table: Table, coordinates: Sequence[str] = ()) -> Table:
    """A copy holding only plain columns: times as dates, sky coordinates dropped.

    Sky-coordinate columns named in ``coordinates`` are kept as two columns
    ``<name>_ra`` and ``<name>_dec`` (degrees).
    """
    out = Table(meta=dict(table.meta))
    for name in table.colnames:
        col = table[name]
        if hasattr(col, "ra") and hasattr(col, "dec") and not hasattr(col, "dtype"):
            if name in coordinates:
                icrs = col.icrs
                out[f"{name}_ra"] = np.asarray(icrs.ra.deg, dtype=np.float64)
                out[f"{name}_dec"] = np.asarray(icrs.dec.deg, dtype=np.float64)
            continue  # otherwise its ra/dec are other columns
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


def write_table(
    table: Table,
    fmt: OutputFormat,
    output: Path | None,
    *,
    overwrite: bool = False,
    coordinates: Sequence[str] = (),
) -> None:
    """Write ``table`` to ``output`` (or stdout) in ``fmt``.

    A file is written atomically (temporary file in the same directory, then rename) and an
    existing one is refused unless ``overwrite`` (``--overwrite``). CSV, ECSV and JSON keep
    every float with full precision; only ``--format table`` uses display formats.

    Raises
    ------
    ValidationError
        Parquet to stdout (it needs ``--output``).
    AstromonError
        The output file cannot be written (the message names it).
    """
    app = current()
    plain = plain_table(table, coordinates)
    if fmt is OutputFormat.parquet and output is None:
        raise ValidationError("--format parquet needs --output PATH")
    if fmt is OutputFormat.table:
        text = "\n".join(plain.pformat(max_lines=-1, max_width=-1)) if len(plain) else "(no rows)"
        if output is None:
            typer.echo(text)
        else:
            app.write_text_file(
                text + "\n", output, overwrite=overwrite, overwrite_hint="--overwrite"
            )
        return
    if output is not None:
        app.write_table_file(
            plain, output, format=fmt.value, overwrite=overwrite, overwrite_hint="--overwrite"
        )
        return
    for name in plain.colnames:
        plain[name].info.format = None
    if fmt is OutputFormat.json:
        typer.echo(_json_text(plain))
        return
    buffer = io.StringIO()
    plain.write(buffer, format="ascii.ecsv" if fmt is OutputFormat.ecsv else "ascii.csv")
    typer.echo(buffer.getvalue().rstrip("\n"))


def _json_value(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


def _json_text(table: Table) -> str:
    records = [{name: _json_value(row[name]) for name in table.colnames} for row in table]
    return json.dumps(records, indent=1)
