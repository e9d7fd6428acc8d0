"""Utilities: the CIAO runner, the CIAO context, logging helpers, CALALIGN offsets."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import structlog
from astropy.table import Table

from astromon.bootstrap import current
from astromon.domain.calalign import calalign_offsets_table
from astromon.domain.errors import MissingTableException, ValidationError
from astromon.domain.validation import require_flag, require_path, require_table, require_text
from astromon.legacy.utils_names import get_near_neighbor_dist, get_wcs_from_fits_header
from astromon.ports.observation import ToolError

__all__ = [
    "CIAOContext",
    "Ciao",  # noqa: F822 (module __getattr__)
    "CiaoProcessFailure",
    "FlowException",
    "LoggingCallDecorator",
    "MissingTableException",
    "calalign_from_files",
    "chdir",
    "ciao_context",
    "communicate",
    "get_calalign_offsets",
    "get_near_neighbor_dist",
    "get_wcs_from_fits_header",
    "logging_call_decorator",
    "set_ciao_context",
]

P = ParamSpec("P")
R = TypeVar("R")


def __getattr__(name: str) -> object:
    # ``Ciao`` is the CIAO runner adapter class, imported on first use only.
    if name == "Ciao":
        return current().ciao_class()
    raise AttributeError(f"module 'astromon.utils' has no attribute {name!r}")


CiaoProcessFailure = ToolError
"""Raised when a CIAO tool exits non-zero (``.lines``: its output; ``.returncode``)."""


def communicate(
    process: Any,
    logger: Any = None,
    level: str = "WARNING",
    text: bool = False,
    logging_tag: str = "",
) -> list[str]:
    """Real-time reading of a subprocess' stdout: each line is logged, all are returned.

    Parameters
    ----------
    process : subprocess.Popen
        Started with ``stdout=PIPE``.
    logger : structlog logger, optional
    level : str
        Log level of the lines.
    text : bool
        Whether the pipe is in text mode (bytes are decoded as UTF-8 either way).
    logging_tag : str
        Added to each log event.
    """
    if not all(hasattr(process, name) for name in ("stdout", "pid", "wait")):
        raise ValidationError(
            f"process must be a subprocess.Popen started with stdout=PIPE, got {process!r:.80}"
        )
    _check_logger(logger, "info")
    require_text("level", level)
    text = require_flag("text", text)
    require_text("logging_tag", logging_tag)
    return current().communicate(process, logger, level, text, logging_tag)


def _check_logger(logger: Any, method: str) -> None:
    if logger is not None and not callable(getattr(logger, method, None)):
        raise ValidationError(f"logger must be a (structlog) logger, got {logger!r:.80}")


class FlowException(Exception):
    """Interrupts the execution flow of a function wrapped by :data:`logging_call_decorator`.

    The decorator logs it and returns None, unless its ``raise_flow_exceptions`` is True.
    """


class LoggingCallDecorator:
    """Decorator logging structlog ``call start``/``call end`` events around a call.

    A :class:`FlowException` raised by the call is logged (``call interrupted``) and swallowed
    (the call returns None) unless ``raise_flow_exceptions`` is True; other exceptions are
    logged (``call failed``) and re-raised.
    """

    def __init__(self, raise_flow_exceptions: bool = False) -> None:
        self.raise_flow_exceptions = require_flag("raise_flow_exceptions", raise_flow_exceptions)

    def __call__(self, func: Callable[P, R]) -> Callable[P, R | None]:
        if not callable(func):
            raise ValidationError(f"logging_call_decorator decorates a function, got {func!r:.80}")
        log: Any = structlog.get_logger(func.__module__)
        name = func.__qualname__

        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
            log.info("call start", function=name)
            try:
                result = func(*args, **kwargs)
            except FlowException as exc:
                log.info("call interrupted", function=name, reason=str(exc))
                if self.raise_flow_exceptions:
                    raise
                return None
            except Exception as exc:
                log.warning("call failed", function=name, error=f"{type(exc).__name__}: {exc}")
                raise
            log.info("call end", function=name)
            return result

        return wrapper


logging_call_decorator = LoggingCallDecorator()
"""The default :class:`LoggingCallDecorator`."""


class chdir(contextlib.AbstractContextManager["chdir"]):  # noqa: N801 (seed name)
    """Context manager to temporarily change to a directory (ValidationError when it cannot:
    a missing directory, a file, no permission)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(require_path("directory", directory))
        self._previous: Path | None = None

    def __enter__(self) -> chdir:
        self._previous = Path.cwd()
        try:
            os.chdir(self.directory)
        except OSError as exc:
            raise ValidationError(
                f"cannot change to the directory {self.directory}: {exc}"
            ) from None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            os.chdir(self._previous)


def set_ciao_context(directory: str | os.PathLike[str]) -> dict[str, str]:
    """Set the CIAO context (``PFILES`` and ``ASCDS_WORK_PATH``) of ``os.environ``.

    ``directory`` is created; ``PFILES`` becomes ``{directory};{rest}`` where rest is the
    read-only part of the current PFILES (or ``$ASCDS_INSTALL/param:$ASCDS_INSTALL/contrib/
    param``). Not restored: use :func:`ciao_context` for a block.

    Returns
    -------
    dict
        The new PFILES and ASCDS_WORK_PATH.

    Raises
    ------
    ValidationError
        ``directory`` contains ':'.
    """
    directory = Path(require_path("directory", directory))
    if ":" in str(directory):
        raise ValidationError(f"CIAO working directory must not contain ':', got {directory}")
    directory.mkdir(parents=True, exist_ok=True)
    pfiles = os.environ.get("PFILES") or ""
    rest = pfiles.split(";", 1)[1] if ";" in pfiles else pfiles
    install = current().settings.ascds_install
    if not rest and install:
        rest = f"{install}/param:{install}/contrib/param"
    os.environ["PFILES"] = f"{directory};{rest}"
    os.environ["ASCDS_WORK_PATH"] = str(directory)
    return {"PFILES": os.environ["PFILES"], "ASCDS_WORK_PATH": str(directory)}


@contextlib.contextmanager
def ciao_context(directory: str | os.PathLike[str], logger: Any = None) -> Iterator[dict[str, str]]:
    """Set the CIAO context (``PFILES`` and ``ASCDS_WORK_PATH``) of ``os.environ`` for a block.

    See :func:`set_ciao_context`; both variables are restored on exit.

    Raises
    ------
    ValidationError
        ``directory`` contains ':'.
    """
    _check_logger(logger, "debug")
    saved = {k: os.environ.get(k) for k in ("PFILES", "ASCDS_WORK_PATH")}
    context = set_ciao_context(directory)
    if logger is not None:
        logger.debug("ciao context", PFILES=context["PFILES"])
    try:
        yield context
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


class CIAOContext(contextlib.AbstractContextManager["CIAOContext"]):
    """:func:`ciao_context` as a class: the context is set when the object is created.

    ``with CIAOContext(directory): ...`` sets PFILES and ASCDS_WORK_PATH and restores them on
    exit; ``env`` holds the values set.
    """

    def __init__(self, directory: str | os.PathLike[str], logger: Any = None) -> None:
        self.directory = Path(require_path("directory", directory))
        self._context = ciao_context(directory, logger)
        self.env = self._context.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._context.__exit__(*exc)


def calalign_from_files(calalign_dir: str | os.PathLike[str] | None = None) -> Table:
    """Get data from the CALALIGN files in ``calalign_dir``.

    Parameters
    ----------
    calalign_dir : pathlib.Path, optional
        Directory of ``pcadD{YYYY-MM-DD}align{Nxxxx}.fits`` files (default
        ``$ASTROMON_CALALIGN_DIR``, else ``$CALDB/data/chandra/pcad/align``).

    Returns
    -------
    astropy.table.Table
        One row per file and INSTR_ID: calalign_version, filename, date, caldb_version,
        instr_id, start, stop (CXC s), aca_misalign, fts_misalign, dy, dz (arcsec).
    """
    if calalign_dir is not None:
        require_path("calalign_dir", calalign_dir)
    return current().read_calalign(calalign_dir)


def get_calalign_offsets(
    all_matches: Table, ref_calalign: Any = None, calalign_dir: str | os.PathLike[str] | None = None
) -> Table:
    """Offsets (arcsec) of the CALALIGN each match was processed with and of a reference one.

    Parameters
    ----------
    all_matches : astropy.table.Table
        Columns obsid, x_id, detector, caldb_version and tstart (CXC s), as in the tables of
        ``astromon.db.get_cross_matches``.
    ref_calalign : str or int, optional
        Reference CALALIGN version (``'N0010'`` or 10); default the latest valid one.
    calalign_dir : pathlib.Path, optional
        See :func:`calalign_from_files`.

    Returns
    -------
    astropy.table.Table
        obsid, x_id, calalign_dy, calalign_dz, aca_misalign, fts_misalign, calalign_version,
        ref_calalign_dy, ref_calalign_dz, ref_aca_misalign, ref_fts_misalign,
        ref_calalign_version, after_caldb.
    """
    require_table("all_matches", all_matches)
    if not isinstance(ref_calalign, str | int | type(None)) or isinstance(ref_calalign, bool):
        raise ValidationError(
            f"ref_calalign must be a CALALIGN version ('N0010' or 10), got {ref_calalign!r:.80}"
        )
    return calalign_offsets_table(all_matches, calalign_from_files(calalign_dir), ref_calalign)
