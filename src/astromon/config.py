"""Where the database lives.

Nothing is read from the environment at import time: :func:`default_db_file` reads it when
called.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["DEFAULT_FILE_NAME", "default_db_file", "resolve_db_file"]

DEFAULT_FILE_NAME = "astromon.duckdb"


def _user_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME")
    root = Path(base) if base else Path.home() / ".local" / "share"
    return root / "astromon"


def default_db_file() -> Path:
    """``$ASTROMON_FILE``, else ``$SKA/data/astromon/astromon.duckdb``, else a per-user file."""
    env_file = os.environ.get("ASTROMON_FILE")
    if env_file:
        return Path(env_file)
    ska = os.environ.get("SKA")
    if ska:
        return Path(ska) / "data" / "astromon" / DEFAULT_FILE_NAME
    return _user_data_dir() / DEFAULT_FILE_NAME


def resolve_db_file(dbfile: str | os.PathLike[str] | None) -> Path:
    """The given path, or :func:`default_db_file` when None."""
    if dbfile is None:
        return default_db_file()
    return Path(dbfile)
