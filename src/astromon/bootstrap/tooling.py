"""Ports for files and the toolchain around the pipeline: table files, the input rule,
parameter files, the doctor's probe, CALALIGN files, the legacy-file test, the lock-waiting
notice, and the notifier, run log and run lock of the daily run.

They are methods of :class:`astromon.bootstrap.Astromon` (through
:class:`astromon.bootstrap.use_cases.UseCases`), built from the adapter table like the others.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import cast

from astropy.table import Table

from astromon.bootstrap.adapters import load_adapter
from astromon.bootstrap.application import PathArg, PortsBase, make_adapter
from astromon.domain.errors import DatabaseError, ValidationError
from astromon.ports.calalign import CalalignFiles
from astromon.ports.notifier import Notifier
from astromon.ports.observation import ParameterFiles, ToolchainProbe
from astromon.ports.run_lock import RunLock
from astromon.ports.run_log import RunLog

__all__ = ["LockWaitNotice", "ToolingPorts"]

LockWaitNotice = Callable[[Path, int | None], None]
"""``notice(database_path, holder_pid_or_None)``, called once after 1 s of waiting for a lock."""


class ToolingPorts(PortsBase):
    """File and toolchain ports: override when given, else the adapter of the table."""

    def read_table_directory(self, directory: PathArg) -> dict[str, Table]:
        """The ``astromon_*.ecsv`` tables of ``directory``."""
        reader = cast(Callable[[PathArg], dict[str, Table]], load_adapter("tables.read_directory"))
        return reader(directory)

    def write_table_file(
        self,
        table: Table,
        path: PathArg,
        format: str | None = None,
        overwrite: bool = False,
        overwrite_hint: str = "overwrite=True",
    ) -> Path:
        """Write a table file atomically: ECSV, CSV, JSON, FITS or Parquet (format from
        ``format`` or the suffix); an existing file is refused unless ``overwrite``, with
        ``overwrite_hint`` (the option that allows it) in the message."""
        writer = cast(Callable[..., Path], load_adapter("tables.write_file"))
        return writer(
            table, path, format=format, overwrite=overwrite, overwrite_hint=overwrite_hint
        )

    def write_text_file(
        self,
        text: str,
        path: PathArg,
        overwrite: bool = False,
        overwrite_hint: str = "overwrite=True",
    ) -> Path:
        """Write a text file atomically, with the overwrite rule of :meth:`write_table_file`."""
        writer = cast(Callable[..., Path], load_adapter("tables.write_text"))
        return writer(text, path, overwrite=overwrite, overwrite_hint=overwrite_hint)

    def input_path(
        self, path: PathArg, what: str, *, directory: bool = False, usage: bool = False
    ) -> Path:
        """``path`` checked to be a regular file (a directory with ``directory``) before it is
        opened, so that a FIFO or a device never blocks (the input rule).

        ``what`` names the path in messages (``'--obsid-file'``); ``usage`` makes the error a
        :class:`ValidationError` (a bad command-line value) instead of a
        :class:`DatabaseError`.
        """
        check = cast(Callable[..., Path], load_adapter("files.check_input"))
        error = ValidationError if usage else DatabaseError
        return check(path, what, directory=directory, error=error)

    def parameter_files(self) -> ParameterFiles:
        """The reader of CIAO parameter files (obspar) on the local file system."""
        if "parameter_files" in self.overrides:
            return cast(ParameterFiles, self.overrides["parameter_files"])
        return cast(ParameterFiles, make_adapter("parameter_files"))

    def toolchain_probe(self) -> ToolchainProbe:
        """The probe of this machine's CIAO, CALDB, arc5gl, URLs and files (``astromon doctor``)."""
        if "toolchain" in self.overrides:
            return cast(ToolchainProbe, self.overrides["toolchain"])
        return cast(ToolchainProbe, make_adapter("toolchain"))

    def calalign_files(self) -> CalalignFiles:
        """CALALIGN FITS files: read a directory, write corrected copies."""
        if "calalign_files" in self.overrides:
            return cast(CalalignFiles, self.overrides["calalign_files"])
        return cast(CalalignFiles, make_adapter("calalign_files"))

    def notifier(
        self,
        *,
        smtp: str | None = None,
        starttls: bool | None = None,
        user: str | None = None,
        mail_from: str | None = None,
        password_file: PathArg | None = None,
        timeout: float | None = None,
    ) -> Notifier:
        """The sender of the alerts: e-mail through an SMTP server.

        Each argument left None takes its setting: ``smtp`` (``ASTROMON_SMTP``,
        ``HOST[:PORT]``), ``starttls`` (``ASTROMON_SMTP_STARTTLS``), ``user``
        (``ASTROMON_SMTP_USER``), ``mail_from`` (``ASTROMON_MAIL_FROM``), ``password_file``
        (``ASTROMON_SMTP_PASSWORD_FILE``), ``timeout`` (``ASTROMON_SMTP_TIMEOUT``, else 30 s).
        The password is ``ASTROMON_SMTP_PASSWORD`` unless a password file is given; it is never
        an argument. The recipients are given to ``send`` (``settings.mail_to`` holds those of
        ``ASTROMON_MAIL_TO``).

        Raises
        ------
        ValidationError
            No SMTP server or no sender is set, a value is bad, the password file is refused
            (not a regular file, or open to other users), or a user has no password.
        """
        if "notifier" in self.overrides:
            return cast(Notifier, self.overrides["notifier"])
        server = smtp or self.settings.smtp
        if not server:
            raise ValidationError("no SMTP server for the alerts: set ASTROMON_SMTP (HOST[:PORT])")
        settings = self.settings
        wait = timeout if timeout is not None else settings.smtp_timeout
        options = {} if wait is None else {"timeout": wait}
        return cast(
            Notifier,
            make_adapter(
                "notifier",
                server,
                mail_from=mail_from or settings.mail_from,
                starttls=settings.smtp_starttls if starttls is None else starttls,
                user=user or settings.smtp_user,
                password=settings.smtp_password,
                password_file=password_file or settings.smtp_password_file,
                **options,
            ),
        )

    def run_log(self, log_dir: PathArg) -> RunLog:
        """The record of the daily runs: ``daily.jsonl`` in ``log_dir`` (the override, when
        given, is called with ``log_dir`` as a path)."""
        if "run_log" in self.overrides:
            return cast(Callable[[Path], RunLog], self.overrides["run_log"])(Path(log_dir))
        return cast(RunLog, make_adapter("run_log", log_dir))

    def run_lock(self, database: PathArg) -> RunLock:
        """The lock that keeps daily runs on ``database`` apart (files beside it; the
        override, when given, is called with ``database`` as a path)."""
        if "run_lock" in self.overrides:
            return cast(Callable[[Path], RunLock], self.overrides["run_lock"])(Path(database))
        return cast(RunLock, make_adapter("run_lock", database))

    def is_legacy_file(self, path: str | os.PathLike[str]) -> bool:
        """True when ``path`` is an existing file with the HDF5 signature (a legacy file)."""
        return cast(Callable[[str | os.PathLike[str]], bool], load_adapter("store.is_hdf5"))(path)

    def process_alive(self, pid: int) -> bool:
        """True while a process ``pid`` exists on this machine."""
        return cast(Callable[[int], bool], load_adapter("process.alive"))(pid)

    def set_lock_wait_notice(self, notice: LockWaitNotice | None) -> LockWaitNotice | None:
        """Set what is called, once, when a database access has waited 1 s for the file lock.

        The notice is process-wide (every store of the process uses it); None restores the
        default, a structlog warning event. Returns the previous notice.
        """
        setter = cast(
            Callable[[LockWaitNotice | None], LockWaitNotice | None],
            load_adapter("store.lock_wait_notice"),
        )
        return setter(notice)
