"""Configuration: every environment variable astromon reads, in one frozen object.

Nothing is read at import time. :meth:`Settings.from_env` reads the environment when called;
the composition root (:func:`astromon.bootstrap.bootstrap`) calls it once per application
object and hands the values to the adapters as constructor arguments.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from astromon.domain.errors import ValidationError
from astromon.domain.mail import check_address, check_addresses, parse_smtp_server
from astromon.ports.executor import MAX_WORKERS

__all__ = ["DEFAULT_FILE_NAME", "Settings", "default_db_file", "resolve_db_file"]

DEFAULT_FILE_NAME = "astromon.duckdb"
"""Name of the database file in the default directories."""


def _path(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name, "").strip()
    return Path(value) if value else None


def _text(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name, "").strip()
    return value or None


def _seconds(environ: Mapping[str, str], name: str) -> float | None:
    text = environ.get(name, "").strip()
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise ValidationError(f"{name} must be a number of seconds, got {text!r}") from None


def _workers(environ: Mapping[str, str]) -> int | None:
    text = environ.get("ASTROMON_WORKERS", "").strip()
    if not text:
        return None
    try:
        value = int(text)
    except ValueError:
        raise ValidationError(f"ASTROMON_WORKERS={text!r} is not an integer") from None
    if not 1 <= value <= MAX_WORKERS:
        raise ValidationError(f"ASTROMON_WORKERS={text!r} must be from 1 to {MAX_WORKERS}")
    return value


def _switch(environ: Mapping[str, str], name: str) -> bool:
    text = environ.get(name, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise ValidationError(
        f"{name}={environ[name]!r} is not a yes/no value (1, true, yes, on; 0, false, no, off)"
    )


def _smtp(environ: Mapping[str, str]) -> str | None:
    text = _text(environ, "ASTROMON_SMTP")
    if text is not None:
        parse_smtp_server(text, "ASTROMON_SMTP")  # checked now, used by the notifier
    return text


def _mail_from(environ: Mapping[str, str]) -> str | None:
    text = _text(environ, "ASTROMON_MAIL_FROM")
    return None if text is None else check_address(text, "ASTROMON_MAIL_FROM")


def _mail_to(environ: Mapping[str, str]) -> tuple[str, ...]:
    text = environ.get("ASTROMON_MAIL_TO", "")
    return check_addresses(text, "ASTROMON_MAIL_TO") if text.strip(" ,") else ()


def _log_level(environ: Mapping[str, str]) -> int:
    try:
        return int(environ.get("ASTROMON_LOG_LEVEL", logging.WARNING))
    except ValueError:
        return logging.WARNING


@dataclass(frozen=True)
class Settings:
    """The environment of one astromon application, read once by :meth:`from_env`.

    A field left ``None`` (or empty) means "the default of the component that uses it".

    | variable | field | meaning |
    |---|---|---|
    | `ASTROMON_FILE` | `db_file` | database file used when none is given |
    | `SKA` | `ska` | else `$SKA/data/astromon/astromon.duckdb` |
    | `XDG_DATA_HOME` | `data_home` | else `$XDG_DATA_HOME/astromon/astromon.duckdb` |
    | `XDG_CACHE_HOME` | `cache_home` | cache of local catalog indexes (`~/.cache`) |
    | `ASTROMON_LOCK_TIMEOUT` | `lock_timeout` | seconds to wait for another process's write lock |
    | `ASTROMON_VIZIER_SERVER` | `vizier_server` | VizieR host or base URL |
    | `ASTROMON_VIZIER_TIMEOUT` | `vizier_timeout` | seconds per VizieR request (60) |
    | `ASTROMON_ARCHIVE_URL` | `archive_url` | root URL of the HTTPS Chandra archive |
    | `ASTROMON_INFO_URLS` | `info_urls` | sequence-summary URL templates (`{obsid}`) |
    | `ASTROMON_CIAO_PREFIX` | `ciao_prefix` | CIAO installation (`/soft/ciao`) |
    | `ASTROMON_ARC5GL` | `arc5gl` | the arc5gl executable (`arc5gl`, found on `PATH`) |
    | `HOME` | `home` | where the arc5gl user file `.arc5gl_user` is, and `~` |
    | `ASCDS_INSTALL` | `ascds_install` | CIAO set up by `ciao.sh` (legacy scripts, PFILES) |
    | `ASTROMON_WORKERS` | `workers` | local worker processes (CPU count; 1 to 1024) |
    | `ASTROMON_CALALIGN_DIR` | `calalign_dir` | directory of the CALALIGN files |
    | `CALDB` | `caldb` | else `$CALDB/data/chandra/pcad/align` |
    | `ASTROMON_LOG_FORMAT` | `log_format` | worker logging, set by the parent |
    | `ASTROMON_LOG_LEVEL` | `log_level` | worker logging level number (30) |
    | `ASTROMON_SMTP` | `smtp` | SMTP server of the alerts, `HOST[:PORT]` (port 25; `[IPv6]`) |
    | `ASTROMON_SMTP_STARTTLS` | `smtp_starttls` | switch to TLS with STARTTLS (`1`/`yes`; off) |
    | `ASTROMON_SMTP_USER` | `smtp_user` | log in to the SMTP server as this user |
    | `ASTROMON_SMTP_PASSWORD` | `smtp_password` | that user's password (never shown) |
    | `ASTROMON_SMTP_PASSWORD_FILE` | `smtp_password_file` | file holding it (mode 600; wins) |
    | `ASTROMON_SMTP_TIMEOUT` | `smtp_timeout` | seconds to wait for the SMTP server (30) |
    | `ASTROMON_MAIL_FROM` | `mail_from` | sender address of the alerts |
    | `ASTROMON_MAIL_TO` | `mail_to` | recipients of the alerts, comma-separated |
    | `ASTROMON_LOG_DIR` | `log_dir` | directory of the daily run record (the database's) |
    | `ASTROMON_WEB_DIR` | `web_dir` | directory of the web pages the daily run writes |

    Raises
    ------
    ValidationError
        From :meth:`from_env`: a number-valued variable does not hold a number, or a mail
        variable does not hold a server or an e-mail address (the message names the variable
        and its value).
    """

    db_file: Path | None = None
    ska: Path | None = None
    data_home: Path | None = None
    cache_home: Path | None = None
    lock_timeout: float | None = None
    vizier_server: str | None = None
    vizier_timeout: float | None = None
    archive_url: str | None = None
    info_urls: tuple[str, ...] = ()
    ciao_prefix: str | None = None
    arc5gl: str | None = None
    home: Path | None = None
    ascds_install: str | None = None
    workers: int | None = None
    calalign_dir: Path | None = None
    caldb: Path | None = None
    log_format: str | None = None
    log_level: int = logging.WARNING
    smtp: str | None = None
    smtp_starttls: bool = False
    smtp_user: str | None = None
    smtp_password: str | None = field(default=None, repr=False)
    smtp_password_file: Path | None = None
    smtp_timeout: float | None = None
    mail_from: str | None = None
    mail_to: tuple[str, ...] = ()
    log_dir: Path | None = None
    web_dir: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings of ``environ`` (default: ``os.environ`` as it is now).

        Raises
        ------
        ValidationError
            ``ASTROMON_LOCK_TIMEOUT``, ``ASTROMON_VIZIER_TIMEOUT`` or
            ``ASTROMON_SMTP_TIMEOUT`` is not a number of seconds, ``ASTROMON_WORKERS`` is not
            an integer from 1 to 1024, ``ASTROMON_SMTP`` is not ``HOST[:PORT]``,
            ``ASTROMON_SMTP_STARTTLS`` is not a yes/no value, or ``ASTROMON_MAIL_FROM`` or
            ``ASTROMON_MAIL_TO`` holds something that is not an e-mail address.
        """
        env: Mapping[str, str] = os.environ if environ is None else environ
        return cls(
            db_file=_path(env, "ASTROMON_FILE"),
            ska=_path(env, "SKA"),
            data_home=_path(env, "XDG_DATA_HOME"),
            cache_home=_path(env, "XDG_CACHE_HOME"),
            lock_timeout=_seconds(env, "ASTROMON_LOCK_TIMEOUT"),
            vizier_server=_text(env, "ASTROMON_VIZIER_SERVER"),
            vizier_timeout=_seconds(env, "ASTROMON_VIZIER_TIMEOUT"),
            archive_url=_text(env, "ASTROMON_ARCHIVE_URL"),
            info_urls=tuple(env.get("ASTROMON_INFO_URLS", "").split()),
            ciao_prefix=_text(env, "ASTROMON_CIAO_PREFIX"),
            arc5gl=_text(env, "ASTROMON_ARC5GL"),
            home=_path(env, "HOME"),
            ascds_install=_text(env, "ASCDS_INSTALL"),
            workers=_workers(env),
            calalign_dir=_path(env, "ASTROMON_CALALIGN_DIR"),
            caldb=_path(env, "CALDB"),
            log_format=_text(env, "ASTROMON_LOG_FORMAT"),
            log_level=_log_level(env),
            smtp=_smtp(env),
            smtp_starttls=_switch(env, "ASTROMON_SMTP_STARTTLS"),
            smtp_user=_text(env, "ASTROMON_SMTP_USER"),
            smtp_password=env.get("ASTROMON_SMTP_PASSWORD") or None,
            smtp_password_file=_path(env, "ASTROMON_SMTP_PASSWORD_FILE"),
            smtp_timeout=_seconds(env, "ASTROMON_SMTP_TIMEOUT"),
            mail_from=_mail_from(env),
            mail_to=_mail_to(env),
            log_dir=_path(env, "ASTROMON_LOG_DIR"),
            web_dir=_path(env, "ASTROMON_WEB_DIR"),
        )

    def default_db_file(self) -> Path:
        """``db_file``, else ``{ska}/data/astromon/astromon.duckdb``, else the per-user file."""
        if self.db_file is not None:
            return self.db_file
        if self.ska is not None:
            return self.ska / "data" / "astromon" / DEFAULT_FILE_NAME
        root = self.data_home if self.data_home is not None else self.home_dir() / ".local/share"
        return root / "astromon" / DEFAULT_FILE_NAME

    def resolve_db_file(self, dbfile: str | os.PathLike[str] | None) -> Path:
        """The given path, or :meth:`default_db_file` when None."""
        return self.default_db_file() if dbfile is None else Path(dbfile)

    def daily_log_dir(self, database: Path) -> Path:
        """``log_dir``, else the directory of ``database``: where the daily run record goes."""
        return self.log_dir if self.log_dir is not None else database.parent

    def default_calalign_dir(self) -> Path:
        """``calalign_dir``, else ``{caldb}/data/chandra/pcad/align``.

        Raises
        ------
        ValidationError
            Neither ``ASTROMON_CALALIGN_DIR`` nor ``CALDB`` is set.
        """
        if self.calalign_dir is not None:
            return self.calalign_dir
        if self.caldb is not None:
            return self.caldb / "data" / "chandra" / "pcad" / "align"
        raise ValidationError(
            "no calalign_dir given and neither $ASTROMON_CALALIGN_DIR nor $CALDB is set"
        )

    def catalog_cache_dir(self) -> Path:
        """``{cache_home}/astromon/catalog-index`` (``~/.cache`` when ``cache_home`` is None)."""
        base = self.cache_home if self.cache_home is not None else self.home_dir() / ".cache"
        return base / "astromon" / "catalog-index"

    def home_dir(self) -> Path:
        """``home``, else the user's home directory from the password database."""
        return self.home if self.home is not None else Path.home()

    def arc5gl_user_file(self) -> Path:
        """The arc5gl user file, ``{home}/.arc5gl_user`` (it names the archive user)."""
        return self.home_dir() / ".arc5gl_user"


def default_db_file() -> Path:
    """``$ASTROMON_FILE``, else ``$SKA/data/astromon/astromon.duckdb``, else a per-user file."""
    return Settings.from_env().default_db_file()


def resolve_db_file(dbfile: str | os.PathLike[str] | None) -> Path:
    """The given path, or :func:`default_db_file` when None."""
    return Settings.from_env().resolve_db_file(dbfile)
