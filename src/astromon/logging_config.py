"""Logging set-up shared by the CLI and the worker processes it starts.

structlog events and standard-library log records go to stderr, as JSON lines or console
lines. The settings of the process that configures logging are recorded in the environment
(``ASTROMON_LOG_FORMAT``, ``ASTROMON_LOG_LEVEL``) so that worker processes it spawns apply the
same ones (:func:`configure_from_environment`) instead of structlog's default of printing every
event on stdout.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import structlog

from astromon.config import Settings

__all__ = [
    "LOG_FORMATS",
    "THIRD_PARTY_LOGGERS",
    "configure_from_environment",
    "configure_logging",
    "quiet_third_party",
]

THIRD_PARTY_LOGGERS = (
    "asyncio",
    "h5py",
    "matplotlib",
    "PIL",
    "urllib3",
    "fsspec",
    "numexpr",
    "distributed",
    "tornado",
)
"""Libraries whose debug and info records are hidden unless asked for (``-vvv``).

astropy and astroquery are left out: they install their own logger class, which a logger
created here before they are imported would replace.
"""
_THIRD_PARTY_VAR = "ASTROMON_LOG_THIRD_PARTY"

LOG_FORMATS = ("json", "console")
_FORMAT_VAR = "ASTROMON_LOG_FORMAT"
_LEVEL_VAR = "ASTROMON_LOG_LEVEL"


def configure_logging(log_format: str | None = None, level: int = logging.WARNING) -> None:
    """Send structlog and standard logging events at ``level`` or above to stderr.

    Parameters
    ----------
    log_format : {'json', 'console'} or None
        None means JSON when stderr is not a terminal, console otherwise.
    level : int
        A standard-library logging level.

    Raises
    ------
    ValueError
        ``log_format`` is not one of :data:`LOG_FORMATS`.
    """
    if log_format is None:
        log_format = "console" if sys.stderr.isatty() else "json"
    if log_format not in LOG_FORMATS:
        raise ValueError(f"log format must be one of {LOG_FORMATS}, got {log_format!r}")
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_astromon", False)]:
        root.removeHandler(old)
    handler._astromon = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    os.environ[_FORMAT_VAR] = log_format
    os.environ[_LEVEL_VAR] = str(level)
    quiet_third_party(os.environ.get(_THIRD_PARTY_VAR) == "1")


def quiet_third_party(show: bool = False) -> None:
    """Hide records below WARNING of :data:`THIRD_PARTY_LOGGERS`, unless ``show``.

    The choice is recorded in the environment, so worker processes make the same one.
    """
    os.environ[_THIRD_PARTY_VAR] = "1" if show else "0"
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET if show else logging.WARNING)


def configure_from_environment() -> bool:
    """In a worker process: apply the parent's settings if it recorded any.

    Returns True when logging was configured.
    """
    settings = Settings.from_env()
    if settings.log_format not in LOG_FORMATS:
        return False
    configure_logging(settings.log_format, settings.log_level)
    return True
