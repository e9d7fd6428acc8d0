"""Exceptions raised by astromon.

Every exception astromon raises on purpose derives from :class:`AstromonError`, so callers can
catch one class. Each message names the offending value.
"""

from __future__ import annotations

__all__ = [
    "AstromonError",
    "CatalogError",
    "DatabaseError",
    "DatabaseLockedError",
    "MissingTableException",
    "ProcessingError",
    "ReadOnlyDatabaseError",
    "SchemaError",
    "ValidationError",
]


class AstromonError(Exception):
    """Base class of every error astromon raises deliberately."""


class ValidationError(AstromonError, ValueError):
    """An argument or a table value is invalid (wrong type, NaN, out of range...)."""


class SchemaError(ValidationError):
    """A table does not fit the astromon schema (missing columns, wrong types...)."""


class DatabaseError(AstromonError):
    """The database file is missing, unreadable, foreign or corrupt."""


class MissingTableException(DatabaseError, KeyError):
    """The requested table is not an astromon table or is absent from the database file.

    The message lists the tables that are available.
    """

    def __str__(self) -> str:  # KeyError quotes its argument; keep the message readable
        return str(self.args[0]) if self.args else ""


class DatabaseLockedError(DatabaseError):
    """Another process holds the database file for writing and did not release it in time."""


class ReadOnlyDatabaseError(DatabaseError):
    """The database file cannot be written (for example a legacy HDF5 file)."""


class CatalogError(AstromonError):
    """A catalog service or catalog file could not answer a query."""


class ProcessingError(AstromonError):
    """An observation-processing step failed."""
