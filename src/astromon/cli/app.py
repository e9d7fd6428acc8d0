"""The ``astromon`` command-line application (Typer).

Exit codes: 0 success, 1 error, 2 usage error (bad options or values), 3 partial failure
(some obsids failed), 130 interrupted (Ctrl-C), 141 standard output closed, 143 terminated
(SIGTERM). :meth:`GlobalOptionsGroup.main` turns every outcome into its exit code and at most
one line on stderr (:mod:`astromon.cli.console`).

The global options (``--db``, ``--log-format``, ``-v``) may be given before the command or
anywhere after it: :class:`GlobalOptionsGroup` moves them in front of the command before
parsing. A command that defines an option of the same name (``demo --db``) keeps it.

Every command and sub-app is registered in :func:`_register` — add new ones there.
"""

from __future__ import annotations

import os
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from astromon.bootstrap import Astromon
from astromon.cli.common import ExitCode, LogFormat, State, configure_logging, echo_error
from astromon.cli.console import (
    closed_stdout,
    exit_status,
    is_closed_stdout,
    os_error_message,
    usage_line,
)
from astromon.domain.errors import ValidationError
from astromon.services import interrupts

__all__ = [
    "GLOBAL_OPTIONS",
    "GlobalOptionsGroup",
    "app",
    "hoist_global_options",
    "main",
    "readable_metavars",
    "summary_line",
]

GLOBAL_OPTIONS: dict[str, bool] = {"--db": True, "--log-format": True, "--verbose": False}
"""Global options, and whether each takes a value (``-v`` is the short ``--verbose``)."""

GLOBAL_EPILOG = "Global options (--db, --log-format, -v) may also be given after the command."


def _commands(group: Any) -> dict[str, Any]:
    return dict(getattr(group, "commands", {}) or {})


_TYPE_METAVARS: dict[str, str] = {
    "float": "FLOAT",
    "int": "INTEGER",
    "str": "TEXT",
    "Path": "PATH",
    "bool": "BOOLEAN",
}


def _value_name(annotation: Any) -> str:
    """The placeholder of one value of type ``annotation`` (``list[float]``: ``FLOAT``)."""
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is list and len(args) == 1:
        return _value_name(args[0])
    name = getattr(annotation, "__name__", str(annotation))
    return _TYPE_METAVARS.get(name, name.upper())


def summary_line(help_text: str) -> str:
    """The one-line summary of a command: the first paragraph of its help, whole (Click cuts
    its own summary at 45 characters, often mid-phrase)."""
    return " ".join(help_text.strip().split("\n\n")[0].split())


def readable_metavars(command: Any) -> None:
    """Give each value of ``command`` a readable placeholder where none was chosen.

    An option shows the kind of one value (``--snr FLOAT``, ``--obsid-file PATH``,
    ``--start TEXT``; a repeatable option, the kind of each value) or its choices
    (``--format [table|csv|...]``); an argument shows its name (``OBSIDS``). Typer's own
    placeholders (``<float>``, ``<list[str]>``) name Python types, not values.
    """
    for param in getattr(command, "params", []):
        descriptor = getattr(param, "type_descriptor", None)
        if getattr(param, "param_type_name", "") == "argument":
            if param.metavar is None:
                param.metavar = str(param.name).upper()
            param.display_type_rich = lambda ctx: None  # the name says it
            continue
        if descriptor is None or param.metavar is not None or param.is_flag or param.count:
            continue
        if descriptor.is_choice and descriptor.choices:
            values = (str(getattr(c, "value", c)) for c in descriptor.choices)
            param.metavar = f"[{'|'.join(values)}]"
        else:
            param.metavar = _value_name(descriptor.annotation)


def _global_name(token: str) -> str | None:
    """The global option a token gives (``--db``, ``--db=F``, ``-v``, ``-vv``), if any."""
    name = token.split("=", 1)[0]
    if name in GLOBAL_OPTIONS:
        return name
    if len(token) > 1 and token[0] == "-" and token[1] != "-" and set(token[1:]) == {"v"}:
        return "--verbose"
    return None


def _leaf(group: Any, args: list[str]) -> tuple[Any, int]:
    """The command named by the leading words of ``args`` and the index after its name."""
    command, index = group, 0
    while index < len(args):
        token = args[index]
        if token == "--":
            break
        if token.startswith("-"):
            index += 2 if GLOBAL_OPTIONS.get(token, False) and command is group else 1
            continue
        sub = _commands(command).get(token)
        if sub is None:
            break
        command, index = sub, index + 1
        if not _commands(sub):
            break
    return command, index


def _option_names(command: Any) -> tuple[set[str], set[str]]:
    """All option names of ``command`` and those that take a value."""
    names: set[str] = set()
    valued: set[str] = set()
    for param in getattr(command, "params", []):
        opts = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
        if getattr(param, "param_type_name", "") != "option":
            continue
        names.update(opts)
        if not (getattr(param, "is_flag", False) or getattr(param, "count", False)):
            valued.update(opts)
    return names, valued


def hoist_global_options(group: Any, args: list[str]) -> list[str]:
    """Move the global options given after the command in front of it.

    Options the command defines itself (``demo --db``), option values (``--user -v``) and
    everything after ``--`` are left in place.
    """
    command, start = _leaf(group, args)
    if command is group:
        return list(args)
    own, valued = _option_names(command)
    moved: list[str] = []
    kept = list(args[:start])
    tokens: Iterator[str] = iter(args[start:])
    for token in tokens:
        if token == "--":
            kept.append(token)
            kept.extend(tokens)
            break
        name = _global_name(token)
        flag = token.split("=", 1)[0]
        if name is None or flag in own or (token.startswith("-v") and "-v" in own):
            kept.append(token)
            if flag in valued and "=" not in token:
                value = next(tokens, None)
                if value is not None:
                    kept.append(value)
            continue
        moved.append(token)
        if GLOBAL_OPTIONS[name] and "=" not in token:
            value = next(tokens, None)
            if value is not None:
                moved.append(value)
    return [*moved, *kept]


class GlobalOptionsGroup(TyperGroup):
    """The root command: accepts the global options anywhere, and says so in every help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_epilog(self)

    def _add_epilog(self, group: Any) -> None:
        """Every command: plain help (flags as flags, paragraphs kept, readable value
        placeholders) and the epilog."""
        readable_metavars(group)
        for sub in _commands(group).values():
            if not getattr(sub, "epilog", None):
                sub.epilog = GLOBAL_EPILOG
            if not getattr(sub, "short_help", None) and getattr(sub, "help", None):
                sub.short_help = summary_line(sub.help)
            if hasattr(sub, "rich_markup_mode"):
                sub.rich_markup_mode = None
            self._add_epilog(sub)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """Parse ``args`` after moving the global options in front of the command."""
        _refuse_verbosity_value(self, ctx, list(args))
        return super().parse_args(ctx, hoist_global_options(self, list(args)))

    def main(  # type: ignore[override]
        self,
        args: Any = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command line; every outcome is an exit code and at most one stderr line.

        Click's usage errors become one line naming the option and the value (exit code 2);
        a command stopped by a signal (exit code 130 from any command, or a
        ``KeyboardInterrupt``) prints ``error: interrupted`` or ``error: terminated
        (SIGTERM)`` and exits with 130 or 143; a closed standard output exits with 141 in
        silence; an error outside the commands' own handling is ``error: unexpected ...``
        (exit code 1). Exits (``standalone_mode``) or returns the exit code.
        """
        code = _run(
            lambda: super(GlobalOptionsGroup, self).main(
                args, prog_name, complete_var, standalone_mode=False, **extra
            )
        )
        if standalone_mode:
            sys.exit(code)
        return code


def _run(invoke: Any) -> int:
    """The exit code of Click's non-standalone ``main`` (see :meth:`GlobalOptionsGroup.main`)."""
    try:
        try:
            result = invoke()
            code = result if isinstance(result, int) and not isinstance(result, bool) else 0
        except typer.TyperException as exc:  # Click's usage and file errors
            shown: Any = exc
            if type(exc).__name__ == "NoArgsIsHelpError":  # no arguments: the help
                shown.show()
            else:
                echo_error(usage_line(exc))
            code = int(getattr(exc, "exit_code", ExitCode.USAGE))
        except typer.Exit as exc:
            code = int(exc.exit_code)
        except typer.Abort:
            echo_error("aborted")
            code = int(ExitCode.ERROR)
        except SystemExit as exc:  # Click exits at once when writing to a closed stdout
            closed = type(sys.stdout).__name__ == "PacifyFlushWrapper"
            code = closed_stdout() if closed else exit_status(exc.code)
        except Exception as exc:
            if not (interrupts.interrupting() or is_closed_stdout(exc)):
                if isinstance(exc, OSError):  # a file that cannot be used, a full disk...
                    echo_error(os_error_message(exc))
                else:
                    echo_error(f"unexpected {type(exc).__name__}: {exc}")
                return int(ExitCode.ERROR)
            code = closed_stdout() if is_closed_stdout(exc) else int(ExitCode.INTERRUPTED)
    except KeyboardInterrupt:
        code = int(ExitCode.INTERRUPTED)
    if code == ExitCode.INTERRUPTED or interrupts.interrupting():  # also one a library caught
        echo_error(interrupts.message())
        return interrupts.exit_code()
    return code


def _refuse_verbosity_value(group: Any, ctx: Any, args: list[str]) -> None:
    """``-v 2`` before the command: -v is counted, so say that instead of "No such command"."""
    previous = ""
    tokens = iter(args)
    for token in tokens:
        if token == "--" or not token.startswith("-"):
            if token.isdigit() and token not in _commands(group) and previous:
                raise typer.BadParameter(
                    f"{previous} takes no value (got {token!r}): repeat it instead, "
                    "-v for info, -vv for debug, -vvv for third-party libraries too",
                    ctx=ctx,
                    param_hint=f"'{previous}'",
                )
            return
        name = _global_name(token)
        previous = token if name == "--verbose" and "=" not in token else ""
        if name is not None and GLOBAL_OPTIONS[name] and "=" not in token:
            next(tokens, None)  # the option's value


app = typer.Typer(
    name="astromon",
    cls=GlobalOptionsGroup,
    help="Monitor the absolute astrometry of the Chandra X-ray Observatory.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _show_version(value: bool) -> None:
    """``--version``: print ``astromon VERSION`` and stop."""
    if value:
        from astromon import __version__

        typer.echo(f"astromon {__version__}")
        raise typer.Exit(0)


@app.callback()
def _options(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help=(
                "Database file (default: $ASTROMON_FILE, else "
                "$SKA/data/astromon/astromon.duckdb, else a per-user file)."
            ),
            show_default=False,
        ),
    ] = None,
    log_format: Annotated[
        LogFormat | None,
        typer.Option(help="Log lines on stderr: json or console (default: json unless a TTY)."),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="More log output: -v info, -vv debug, -vvv also third-party libraries.",
        ),
    ] = 0,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_show_version,
            expose_value=True,
            help="Print the version of astromon and exit.",
        ),
    ] = False,
) -> None:
    """Monitor the absolute astrometry of the Chandra X-ray Observatory.

    The global options (--db, --log-format, -v) may be given before or after the command.
    """
    configure_logging(log_format, verbose)
    given = ctx.obj if isinstance(ctx.obj, Astromon) else None
    try:
        ctx.obj = State(db=db, app=given)
    except ValidationError as exc:
        echo_error(str(exc))
        raise typer.Exit(ExitCode.USAGE) from None


def _register() -> None:
    """Register every command and sub-app (the one place to add a command)."""
    from astromon.cli.commands import (
        alignment,
        calalign,
        daily,
        db,
        demo,
        doctor,
        match,
        process,
        regions,
        reliability,
        report,
        tables,
    )

    # in the order a newcomer needs them: try, check, run, look, then the tools
    app.command("demo")(demo.demo)
    app.command("doctor")(doctor.doctor)
    app.command("process")(process.process)
    app.command("report")(report.report)
    app.command("daily")(daily.daily)
    app.command("tables")(tables.tables)
    app.command("matches")(match.matches)
    app.command("alignment")(alignment.alignment)
    app.command("show")(tables.show)
    app.command("cross-match")(match.cross_match)
    app.add_typer(regions.regions_app, name="regions")
    app.add_typer(calalign.calalign_app, name="calalign")
    reliability.register(db.db_app)
    app.add_typer(db.db_app, name="db")


_register()


def main() -> None:
    """Run the ``astromon`` command line (exits with its exit code)."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    app()
