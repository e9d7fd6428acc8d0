"""Backup and restore of an astromon database, verified by the integrity check.

The file work (a consistent snapshot while readers run, an atomic publication) is done by a
:class:`DatabaseCopier` (the DuckDB one lives in ``astromon_adapters.storage.duckdb.backup``); this
module holds the rules:

* a backup is a snapshot of the source into a staging file beside the destination, checked
  with :func:`~astromon.services.storage.integrity.check_integrity`, then renamed over the
  destination in one step — a reader of the destination sees the old file or the new one,
  never a part;
* an existing destination is only replaced with ``force``;
* a restore first checks the backup itself, then copies it the same way over the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from astromon.domain.errors import DatabaseError, ValidationError
from astromon.ports.store import Store
from astromon.services.storage.integrity import IntegrityReport, check_integrity

__all__ = ["BackupResult", "DatabaseCopier", "backup_database", "restore_database"]


class DatabaseCopier(Protocol):
    """File operations behind backup and restore (paths as strings)."""

    def exists(self, path: str) -> bool:
        """True when ``path`` exists."""
        ...

    def same_file(self, first: str, second: str) -> bool:
        """True when both paths name the same file."""
        ...

    def staging_path(self, destination: str) -> str:
        """A fresh path beside ``destination`` to build the copy in."""
        ...

    def snapshot(self, source: str, target: str) -> None:
        """Copy the database ``source`` into the new file ``target``, consistently.

        The copy reflects one committed state of ``source`` even while other processes read it.
        """
        ...

    def publish(self, staged: str, destination: str) -> None:
        """Atomically replace ``destination`` with ``staged`` (durable when it returns)."""
        ...

    def discard(self, staged: str) -> None:
        """Remove a staging file (no error when absent)."""
        ...


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore wrote.

    Attributes
    ----------
    source : str
        The database (backup) or backup file (restore) that was copied.
    destination : str
        The file that now holds the copy.
    report : IntegrityReport
        The integrity check of the copy (row counts per table).
    """

    source: str
    destination: str
    report: IntegrityReport


def _failed(report: IntegrityReport, what: str) -> DatabaseError:
    problems = "; ".join(str(p) for p in report.problems[:5])
    more = f" (and {len(report.problems) - 5} more)" if len(report.problems) > 5 else ""
    return DatabaseError(f"{what} fails the integrity check: {problems}{more}")


def _copy_verified(
    copier: DatabaseCopier,
    open_store: Callable[[str], Store],
    source: str,
    destination: str,
    force: bool,
) -> BackupResult:
    if copier.same_file(source, destination):
        raise ValidationError(f"source and destination are the same file: {destination}")
    if copier.exists(destination) and not force:
        raise DatabaseError(
            f"refusing to overwrite {destination}; use --force (force=True) to replace it"
        )
    staged = copier.staging_path(destination)
    try:
        copier.snapshot(source, staged)
        report = check_integrity(open_store(staged))
        if not report.ok:
            raise _failed(report, f"the copy of {source}")
        copier.publish(staged, destination)
    finally:
        copier.discard(staged)
    return BackupResult(source, destination, report)


def backup_database(
    copier: DatabaseCopier,
    open_store: Callable[[str], Store],
    source: str,
    destination: str,
    *,
    force: bool = False,
) -> BackupResult:
    """Copy the database ``source`` to ``destination``, consistently, while readers run.

    Parameters
    ----------
    copier : DatabaseCopier
        Does the file work.
    open_store : callable
        Opens a file for reading (to check the copy).
    source : str
        The database file.
    destination : str
        The backup file; replaced only with ``force``.
    force : bool
        Replace an existing destination.

    Returns
    -------
    BackupResult

    Raises
    ------
    DatabaseError
        The source is missing or unreadable, the destination exists (without ``force``), or
        the copy fails the integrity check (the destination is then untouched).
    DatabaseLockedError
        A writer held the source longer than the lock timeout.
    ValidationError
        Source and destination are the same file.
    """
    if not copier.exists(source):
        raise DatabaseError(f"astromon database file {source} does not exist")
    return _copy_verified(copier, open_store, source, destination, force)


def restore_database(
    copier: DatabaseCopier,
    open_store: Callable[[str], Store],
    backup: str,
    destination: str,
    *,
    force: bool = False,
) -> BackupResult:
    """Replace the database ``destination`` with the verified backup ``backup``.

    Parameters
    ----------
    copier : DatabaseCopier
        Does the file work.
    open_store : callable
        Opens a file for reading (to check the backup and the copy).
    backup : str
        The backup file; it must pass the integrity check.
    destination : str
        The database file; an existing one is replaced only with ``force``.
    force : bool
        Replace an existing database.

    Returns
    -------
    BackupResult

    Raises
    ------
    DatabaseError
        The backup is missing or fails the integrity check, or the destination exists
        (without ``force``); the destination is then untouched.
    ValidationError
        Backup and destination are the same file.
    """
    if not copier.exists(backup):
        raise DatabaseError(f"backup file {backup} does not exist")
    if copier.same_file(backup, destination):
        raise ValidationError(f"backup and destination are the same file: {destination}")
    report = check_integrity(open_store(backup))
    if not report.ok:
        raise _failed(report, f"backup {backup}")
    return _copy_verified(copier, open_store, backup, destination, force)
