"""Use cases of storage: validated saves and copies of tables between stores.

Everything is checked before the store is touched, so bad input leaves the file unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
from astropy.table import Table

from astromon.domain.errors import (
    AstromonError,
    DatabaseError,
    MissingTableException,
    ReadOnlyDatabaseError,
    SchemaError,
)
from astromon.domain.schema import (
    TABLE_NAMES,
    conforms,
    get_spec,
    to_schema,
    validate_values,
)
from astromon.ports.store import Store, TableWrite

__all__ = [
    "copy_tables",
    "import_tables",
    "prepare_write",
    "read_table",
    "require_writable",
    "save",
    "store_write",
]


def prepare_write(table_name: str, data: Any, ignore_obsid: bool = False) -> TableWrite:
    """A checked write of ``data`` to ``table_name``.

    ``data`` (anything ``astropy.table.Table()`` accepts) is converted to the schema (extra
    columns dropped) and its values checked (:func:`astromon.domain.schema.validate_values`).

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
    validate_values(table_name, table)
    return TableWrite(table_name, table, bool(ignore_obsid), checked=True)


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


def _non_empty(store: Store, names: Iterable[str]) -> list[str]:
    present = set(store.table_names())
    return [name for name in names if name in present and len(store.read_table(name))]


def import_tables(tables: Mapping[str, Any], target: Store, overwrite: bool = False) -> list[str]:
    """Write whole tables into ``target`` in one transaction.

    When ``astromon_regions`` comes without ``astromon_meta``, ``last_region_id`` is set to
    the largest region id.

    Parameters
    ----------
    tables : mapping of table name to Table-compatible data
        The tables to import (converted to the schema; keys checked).
    target : Store
        The store written.
    overwrite : bool
        Replace tables that already hold rows in ``target``; without it such tables are an
        error (nothing is written).

    Returns
    -------
    list of str
        Names of the imported tables, in schema order.

    Raises
    ------
    DatabaseError
        A table already holds rows in ``target`` and ``overwrite`` is false.
    """
    require_writable(target)
    tables = dict(tables)
    if "astromon_regions" in tables and "astromon_meta" not in tables:
        # a regions table without its meta row: ids continue after the largest one
        ids = np.asarray(to_schema("astromon_regions", tables["astromon_regions"])["region_id"])
        tables["astromon_meta"] = {"last_region_id": [int(ids.max()) if ids.size else 0]}
    names = [name for name in TABLE_NAMES if name in tables]
    unknown = sorted(set(tables) - set(TABLE_NAMES))
    if unknown:
        raise MissingTableException(
            f"{unknown} are not astromon tables. Known tables: {', '.join(TABLE_NAMES)}"
        )
    writes = []
    for name in names:
        table = to_schema(name, tables[name])
        if name == "astromon_meta":
            validate_values(name, table)
        writes.append(TableWrite(name, table, ignore_obsid=True))
    if not overwrite:
        busy = _existing_rows(target, names)
        if busy:
            raise DatabaseError(
                f"{target.location} already holds rows in {busy}; import into a new file or "
                "pass overwrite=True to replace those tables"
            )
    target.save_many(writes)
    return names


def _existing_rows(target: Store, names: list[str]) -> list[str]:
    try:
        return _non_empty(target, names)
    except DatabaseError as exc:
        if "does not exist" in str(exc):
            return []
        raise


def copy_tables(source: Store, target: Store, overwrite: bool = False) -> list[str]:
    """Copy every astromon table of ``source`` into ``target`` without loss (one transaction).

    Returns
    -------
    list of str
        Names of the copied tables.
    """
    names = source.table_names()
    if not names:
        raise DatabaseError(f"{source.location} holds no astromon tables")
    return import_tables({name: source.read_table(name) for name in names}, target, overwrite)
