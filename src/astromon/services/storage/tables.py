"""Use cases of storage: validated saves and copies of tables between stores.

Everything is checked before the store is touched, so bad input leaves the file unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from astropy.table import Table

from astromon.domain.errors import (
    AstromonError,
    DatabaseError,
    MissingTableException,
    ReadOnlyDatabaseError,
    SchemaError,
    ValidationError,
)
from astromon.domain.references import REFERENCES, orphans
from astromon.domain.references import drop_orphans as drop_orphans_of
from astromon.domain.schema import (
    TABLE_NAMES,
    conforms,
    get_spec,
    to_schema,
)
from astromon.domain.validation import require_flag
from astromon.domain.value_rules import check_values
from astromon.ports.store import Store, TableWrite

__all__ = [
    "ImportResult",
    "copy_tables",
    "import_tables",
    "prepare_write",
    "read_named_table",
    "read_table",
    "require_writable",
    "save",
    "store_write",
]

logger = logging.getLogger(__name__)


def prepare_write(table_name: str, data: Any, ignore_obsid: bool = False) -> TableWrite:
    """A checked write of ``data`` to ``table_name``.

    ``data`` (anything ``astropy.table.Table()`` accepts) is converted to the schema (extra
    columns dropped) and its values checked (:func:`astromon.domain.value_rules.check_values`).

    Raises
    ------
    MissingTableException
        ``table_name`` is not an astromon table (the message lists them).
    SchemaError
        Missing columns, no common column, or values of the wrong type.
    ValidationError
        NaN or out-of-range ra/dec, negative radius, duplicated keys.
    """
    get_spec(table_name)
    try:
        table = data if conforms(table_name, data) else to_schema(table_name, data)
    except AstromonError:
        raise
    except (TypeError, ValueError, OverflowError, KeyError) as exc:
        raise SchemaError(f"data for {table_name} is not a table of the schema: {exc}") from None
    check_values(table_name, table)
    return TableWrite(table_name, table, require_flag("ignore_obsid", ignore_obsid), checked=True)


def require_writable(store: Store) -> None:
    """Refuse to write a read-only store (a legacy HDF5 file), saying how to convert it.

    Raises
    ------
    ReadOnlyDatabaseError
        ``store`` cannot be written.
    """
    if not store.writable:
        raise ReadOnlyDatabaseError(
            f"{store.location} is read-only; import it into a DuckDB file "
            "(`astromon db import-legacy` or astromon.db.import_legacy) and write there"
        )


def save(store: Store, table_name: str, data: Any, ignore_obsid: bool = False) -> None:
    """Save ``data`` to ``table_name`` in one transaction (obsid-replacement rule).

    With an ``obsid`` column and ``ignore_obsid`` false, stored rows whose obsid is in
    ``data`` are replaced by ``data``; otherwise the whole table is replaced.

    Raises
    ------
    MissingTableException, SchemaError, ValidationError
        Bad input (see :func:`prepare_write`); the store is not touched.
    ReadOnlyDatabaseError
        The store cannot be written.
    """
    write = prepare_write(table_name, data, ignore_obsid)
    require_writable(store)
    store.save_many([write])


def store_write(store: Store, write: TableWrite) -> None:
    """Apply a write made by :func:`prepare_write` (one transaction)."""
    require_writable(store)
    store.save_many([write])


def read_table(store: Store, table_name: str) -> Table:
    """The whole table ``table_name`` of ``store`` (MissingTableException when absent)."""
    get_spec(table_name)
    return store.read_table(table_name)


def read_named_table(open_store: Callable[[], Store], table_name: str) -> Table:
    """The table ``table_name`` of the store ``open_store()`` opens.

    Raises
    ------
    MissingTableException
        Unknown table name (the message lists the tables of the store when it can be
        opened), or the table is not in the store.
    """
    try:
        get_spec(table_name)
    except MissingTableException as exc:
        try:
            store = open_store()
            available = ", ".join(store.table_names()) or "none"
        except AstromonError:
            raise exc from None
        raise MissingTableException(f"{exc} (available in {store.location}: {available})") from None
    return read_table(open_store(), table_name)


@dataclass(frozen=True)
class ImportResult:
    """What an import wrote.

    Attributes
    ----------
    tables : list of str
        Names of the imported tables, in schema order.
    dropped : dict of str to int
        Orphan rows left out per table (only with ``drop_orphans``).
    """

    tables: list[str]
    dropped: dict[str, int] = field(default_factory=dict)


def _without_orphans(
    tables: dict[str, Table], source: str, drop_orphans: bool
) -> tuple[dict[str, Table], dict[str, int]]:
    """The tables, with the orphans among them left out when asked; else refused."""
    if drop_orphans:
        return drop_orphans_of(tables)
    for reference in REFERENCES:
        if reference.table not in tables or reference.parent not in tables:
            continue
        bad = orphans(reference, tables)
        if bad.any():
            rows = np.flatnonzero(bad)
            child = tables[reference.table]
            keys = sorted({tuple(int(child[c][r]) for c in reference.columns) for r in rows})
            shown = ", ".join(str(k[0] if len(k) == 1 else k) for k in keys[:5])
            raise ValidationError(
                f"{source} holds {rows.size} row(s) of {reference.table} "
                f"{reference.description}: {shown}{' ...' if len(keys) > 5 else ''}; "
                "a database keeps no such rows: import with drop_orphans=True "
                "(--drop-orphans) to leave them out"
            )
    return tables, {}


def import_tables(
    tables: Mapping[str, Any],
    target: Store,
    overwrite: bool = False,
    *,
    drop_orphans: bool = False,
    source: str = "the imported tables",
) -> ImportResult:
    """Write whole tables into ``target`` in one transaction.

    Rows must keep the referential rules (:mod:`astromon.domain.references`): an x-ray
    source whose observation, or a counterpart whose x-ray source is not imported (nor
    stored) is an orphan. Orphans among the imported tables are refused, or left out with
    ``drop_orphans``. When ``astromon_regions`` comes without ``astromon_meta``,
    ``last_region_id`` becomes at least the largest region id (the store's rule).

    Parameters
    ----------
    tables : mapping of table name to Table-compatible data
        The tables to import (converted to the schema; keys checked).
    target : Store
        The store written.
    overwrite : bool
        Replace tables that already hold rows in ``target``; without it such tables are an
        error (nothing is written).
    drop_orphans : bool
        Leave orphan rows out (counted in the result) instead of refusing the import.
    source : str
        Where the tables come from, named in messages.

    Returns
    -------
    ImportResult
        The imported tables and the orphans left out.

    Raises
    ------
    DatabaseError
        A table already holds rows in ``target`` and ``overwrite`` is false.
    ValidationError
        Orphan rows (without ``drop_orphans``), invalid values (named).
    """
    require_writable(target)
    unknown = sorted(set(tables) - set(TABLE_NAMES))
    if unknown:
        raise MissingTableException(
            f"{unknown} are not astromon tables. Known tables: {', '.join(TABLE_NAMES)}"
        )
    names = [name for name in TABLE_NAMES if name in tables]
    converted = {name: to_schema(name, tables[name]) for name in names}
    converted, dropped = _without_orphans(converted, source, drop_orphans)
    for name, table in converted.items():
        check_values(name, table)
    if not overwrite:
        present = set(target.table_names())
        busy = [n for n in names if n in present and len(target.read_table(n))]
        if busy:
            raise DatabaseError(
                f"{target.location} already holds rows in {busy}; import into a new file or "
                "pass overwrite=True to replace those tables"
            )
    target.save_many([TableWrite(n, converted[n], ignore_obsid=True, checked=True) for n in names])
    for name, rows in dropped.items():
        logger.warning("left out %d orphan row(s) of %s from %s", rows, name, source)
    logger.info("imported %s from %s into %s", ", ".join(names), source, target.location)
    return ImportResult(names, dropped)


def copy_tables(
    source: Store, target: Store, overwrite: bool = False, *, drop_orphans: bool = False
) -> ImportResult:
    """Copy every astromon table of ``source`` into ``target`` without loss (one transaction).

    Orphan rows of ``source`` are refused, or left out with ``drop_orphans`` (see
    :func:`import_tables`).

    Returns
    -------
    ImportResult
    """
    names = source.table_names()
    if not names:
        raise DatabaseError(f"{source.location} holds no astromon tables")
    tables = {name: source.read_table(name) for name in names}
    return import_tables(
        tables, target, overwrite, drop_orphans=drop_orphans, source=source.location
    )
