"""How every astromon console script ends: an exit code and at most one line on stderr.

The rules, for ``astromon`` and every legacy script alike:

* a usage error (Click's own too: an unknown option, a value of the wrong type) is one line
  naming the option and the value, exit code 2;
* Ctrl-C and SIGTERM stop the command at any moment (:mod:`astromon.services.interrupts`):
  one line, exit code 130 or 143, no traceback;
* a standard output closed by its reader (``astromon tables | head -1``) ends the command
  without a word, with exit code 141 (128 + SIGPIPE, what a shell reports for a program
  ended by a closed pipe);
* a system error (a file that cannot be used, a full disk) is one line naming the file and
  the reason, exit code 1;
* an unexpected error is one line naming its type, exit code 1.

This module is light (no Typer, numpy or astropy), so that the entry point installs the
signal handlers before it imports the application.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Callable
from enum import IntEnum
from typing import Any, NoReturn

from astromon.services import interrupts

__all__ = [
    "ExitCode",
    "closed_stdout",
    "error_line",
    "exit_status",
    "is_closed_stdout",
    "os_error_message",
    "run_console_script",
    "usage_line",
]


class ExitCode(IntEnum):
    """Exit codes of ``astromon`` and the legacy scripts."""

    OK = 0
    ERROR = 1
    USAGE = 2
    PARTIAL = 3
    INTERRUPTED = 130
    """Ctrl-C (128 + SIGINT); commands return it for any signal that stopped them."""
    BROKEN_PIPE = 141
    """128 + SIGPIPE: standard output was closed by its reader."""
    TERMINATED = 143
    """128 + SIGTERM."""


def error_line(message: object, script: str | None = None) -> None:
    """Print ``error: MESSAGE`` (``SCRIPT: error: MESSAGE``) on stderr as one line."""
    text = " ".join(line.strip() for line in str(message).splitlines() if line.strip())
    prefix = f"{script}: " if script else ""
    try:
        sys.stderr.write(f"{prefix}error: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed too: nothing can be said
        pass


def usage_line(exc: Any) -> str:
    """One line for a Click usage error: its message and where help is.

    ``No such option: --foo`` of ``astromon matches`` becomes ``no such option: --foo
    (astromon matches -h for help)``.
    """
    text = " ".join(str(exc.format_message()).split()).rstrip(".")
    text = text[:1].lower() + text[1:] if text[1:2].islower() else text
    given = _rejected_value(exc)
    if given is not None and repr(given) not in text:
        text += f" (got {given!r})"
    ctx = getattr(exc, "ctx", None)
    if ctx is not None and getattr(ctx, "help_option_names", None):
        text += f" ({ctx.command_path} {ctx.help_option_names[0]} for help)"
    return text


def _rejected_value(exc: BaseException) -> Any:
    """The value a Typer type check refused (its message does not always say it)."""
    errors = getattr(exc.__cause__, "errors", None)
    if not callable(errors):
        return None
    try:
        return errors()[0].get("input")
    except Exception:  # not pydantic's list of error dictionaries
        return None


def os_error_message(exc: OSError) -> str:
    """A system error in one line: the file and the reason (``cannot use 'F': ...``)."""
    text = exc.strerror or str(exc)
    if exc.filename is not None:
        return f"cannot use {str(exc.filename)!r}: {text}"
    return text


def is_closed_stdout(exc: BaseException) -> bool:
    """True for the error of writing to a pipe whose reader is gone."""
    return isinstance(exc, OSError) and exc.errno in (errno.EPIPE, errno.ECONNRESET)


def closed_stdout() -> int:
    """Standard output was closed by its reader: send what is left to /dev/null (so that
    neither astromon nor Python's final flush fails on it again) and return exit code 141."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, sys.stdout.fileno())
        finally:
            os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no file descriptor (a test's buffer)
        pass
    return int(ExitCode.BROKEN_PIPE)


def exit_status(code: object) -> int:
    """The exit status of ``SystemExit(code)``: ``None`` is 0, an int itself, text 1."""
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    error_line(code)
    return int(ExitCode.ERROR)


def _outcome(body: Callable[[], object], script: str | None) -> int:
    try:
        try:
            result = body()
            code = result if isinstance(result, int) and not isinstance(result, bool) else 0
        except SystemExit as exc:
            code = exit_status(exc.code)
        except Exception as exc:
            if is_closed_stdout(exc):
                return closed_stdout()
            if interrupts.interrupting():
                raise KeyboardInterrupt from None
            if isinstance(exc, OSError):  # a file that cannot be used, a full disk...
                error_line(os_error_message(exc), script)
            else:
                error_line(f"unexpected {type(exc).__name__}: {exc}", script)
            return int(ExitCode.ERROR)
        if not interrupts.interrupting() or code == interrupts.exit_code():
            return code
        raise KeyboardInterrupt  # a signal that something caught and went on after
    except KeyboardInterrupt:  # also one that came while an error above was reported
        error_line(interrupts.message(), script)
        return interrupts.exit_code()


def _flushed(code: int, script: str | None) -> int:
    """Flush stdout and stderr, then let a signal end the process at once from now on."""
    try:
        try:
            for stream in (sys.stdout, sys.stderr):
                stream.flush()
        except OSError as exc:
            if is_closed_stdout(exc):
                code = closed_stdout()
        interrupts.finish()
    except KeyboardInterrupt:
        error_line(interrupts.message(), script)
        interrupts.finish()
        return interrupts.exit_code()
    return code


def run_console_script(body: Callable[[], object], script: str | None = None) -> NoReturn:
    """Run the body of a console script under the rules of this module and exit.

    Parameters
    ----------
    body : callable
        The script's work; returns an exit code (or None for 0) or raises ``SystemExit``.
    script : str, optional
        The script's name, which starts its error lines (``astromon-cross-match: error:
        ...``); ``astromon`` itself writes ``error: ...``.
    """
    interrupts.install()
    code = _outcome(body, script)
    raise SystemExit(_flushed(code, script))
